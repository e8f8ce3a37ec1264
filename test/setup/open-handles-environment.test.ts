/**
 * The suite's open-handles check (`test/setup/open-handles-environment.cjs`, Jest's `testEnvironment`): it stands in
 * for `--detectOpenHandles` in the shards, so it must fail a test file that leaves a handle open, for each kind a
 * leak in this library has taken (a timer, a `MessagePort`, a socket, a worker thread), and pass one that closes
 * them. It runs a child Jest over the files in `test/setup/leak-fixtures/`, under this suite's own config.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChild, type ChildRun } from '../helpers/run-child.js';

interface FileResult {
  name: string;
  status: string;
  message: string;
}

let child: ChildRun;
const results = new Map<string, FileResult>();

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'open-handles-'));
  const outputFile = join(dir, 'results.json');
  try {
    child = await runChild(
      process.execPath,
      ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--ci', '--runInBand', '--forceExit', '--json', '--outputFile', outputFile, '--testMatch', '**/test/setup/leak-fixtures/*.leak.ts'],
      // A bound against a hang only: the five files take a few seconds.
      { timeoutMs: 120_000 },
    );
    const parsed = JSON.parse(readFileSync(outputFile, 'utf8')) as { testResults: FileResult[] };
    for (const result of parsed.testResults) results.set(result.name.slice(result.name.lastIndexOf('/') + 1), result);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 150_000);

/** The child Jest's result for one fixture file; fails with the child's output when the file did not run. */
function resultOf(file: string): FileResult {
  const result = results.get(file);
  if (result === undefined) throw new Error(`${file} did not run in the child Jest (exit ${child.code}):\n${child.stdout}\n${child.stderr}`);
  return result;
}

describe('the open-handles test environment', () => {
  it.each([
    ['leaks-timer.leak.ts', 'Timeout ×1'],
    ['leaks-port.leak.ts', 'MessagePort ×'],
    ['leaks-socket.leak.ts', 'TCPSocketWrap ×'],
    ['leaks-worker.leak.ts', 'Worker ×1'],
  ])('fails %s, naming the open %s', (file, kind) => {
    const result = resultOf(file);
    expect(result.status).toBe('failed');
    expect(result.message).toContain('left handles open after its last afterAll');
    expect(result.message).toContain(kind);
  });

  it('passes a file that closes each of those handles in afterAll', () => {
    const result = resultOf('closes-all.leak.ts');
    expect(result.message).toBe('');
    expect(result.status).toBe('passed');
  });
});
