/**
 * The default `reactor` when the policy file `GREENREACTOR_POLICY` names is invalid or missing: SPEC §3 says the
 * dispatch methods never throw, so they errback the `PolicyConfigError`, and `stream()` returns a stream failed with
 * it (SPEC §9: its iteration throws it, its `result` errbacks with it); everything else throws it (there is no
 * reactor to answer). Each case runs in a child process: the default reactor is a per-process singleton.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const index = new URL('../../dist/src/index.js', import.meta.url).href;

/** Calls each Deferred-returning method of the default reactor; prints, per method, how it reported the error. */
const script = `
const { reactor } = await import(${JSON.stringify(index)});
const calls = {
  dispatch: () => reactor.dispatch(() => 1),
  deferToThread: () => reactor.deferToThread(undefined),
  deferToThreadPool: () => reactor.deferToThreadPool(undefined, undefined),
  callMultipleInThread: () => reactor.callMultipleInThread([]),
  deferToGreenlet: () => reactor.deferToGreenlet(() => 1),
  deferToGreenletPool: () => reactor.deferToGreenletPool(undefined, () => 1),
  callMultipleInGreenlet: () => reactor.callMultipleInGreenlet([]),
  waitForGreenlet: () => reactor.waitForGreenlet(undefined),
  waitForDeferred: () => reactor.waitForDeferred(Promise.resolve(1)),
  blockingCallFromGreenlet: () => reactor.blockingCallFromGreenlet(() => 1),
  deferToRemote: () => reactor.deferToRemote(undefined),
};
const out = {};
for (const [name, call] of Object.entries(calls)) {
  try {
    out[name] = await call().then(() => 'succeeded', (e) => 'errback ' + e.name);
  } catch (e) {
    out[name] = 'threw ' + e.name;
  }
}
try {
  const s = reactor.stream(() => 1);
  const read = await s[Symbol.asyncIterator]().next().then(() => 'read', (e) => 'read threw ' + e.name);
  out.stream = read + ', result ' + (await s.result.then(() => 'succeeded', (e) => 'errback ' + e.name));
} catch (e) {
  out.stream = 'threw ' + e.name;
}
try { reactor.callLater(1, () => {}); out.callLater = 'returned'; } catch (e) { out.callLater = 'threw ' + e.name; }
console.log(JSON.stringify(out));
`;

function runWithPolicyFile(file: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, GREENREACTOR_POLICY: file }, encoding: 'utf8' }, (error, stdout, stderr) =>
      error === null ? resolve(JSON.parse(stdout) as Record<string, string>) : reject(new Error(`${error.message}\n${stderr}`)),
    );
  });
}

describe('the default reactor with a GREENREACTOR_POLICY it cannot load', () => {
  const expected = {
    dispatch: 'errback PolicyConfigError',
    deferToThread: 'errback PolicyConfigError',
    deferToThreadPool: 'errback PolicyConfigError',
    callMultipleInThread: 'errback PolicyConfigError',
    deferToGreenlet: 'errback PolicyConfigError',
    deferToGreenletPool: 'errback PolicyConfigError',
    callMultipleInGreenlet: 'errback PolicyConfigError',
    waitForGreenlet: 'errback PolicyConfigError',
    waitForDeferred: 'errback PolicyConfigError',
    blockingCallFromGreenlet: 'errback PolicyConfigError',
    deferToRemote: 'errback PolicyConfigError',
    stream: 'read threw PolicyConfigError, result errback PolicyConfigError',
    callLater: 'threw PolicyConfigError',
  };

  it.each([
    ['an invalid file', (dir: string) => {
      const file = join(dir, 'policy.json');
      writeFileSync(file, JSON.stringify({ default: 'nope' }));
      return file;
    }],
    ['a missing file', (dir: string) => join(dir, 'absent.json')],
  ])('errbacks PolicyConfigError from every Deferred-returning method and stream() for %s, and throws it from the rest', async (_what, fileIn) => {
    const dir = mkdtempSync(join(tmpdir(), 'greenreactor-bad-env-policy-'));
    try {
      expect(await runWithPolicyFile(fileIn(dir))).toEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
