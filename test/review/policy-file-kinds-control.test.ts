/**
 * A policy file that is not a regular file: a FIFO nobody writes to, a directory, a symlink loop. Reading a FIFO with
 * no writer blocks until one comes (for ever): `policy check`, `policy explain`, `new Reactor({ policy })` and a
 * watch that saw the file turn into one must report it as an unreadable file instead of hanging, as they do for a
 * directory or a symlink loop. A file too large to be a policy (1 GB, sparse here) is refused by its size before a byte
 * of it is read: a clear error in bounded time and memory, not a gigabyte buffer and an opaque `ERR_STRING_TOO_LONG`.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, symlinkSync, mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PolicyConfigError } from '../../src/errors.js';
import { Policy } from '../../src/policy/policy.js';

const bin = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const index = new URL('../../dist/src/index.js', import.meta.url).href;

/** Runs the built CLI; a run still going after 15 s (it hangs) is killed and reads as code 'hung'. */
function cli(...args: string[]): Promise<{ code: number | 'hung'; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 15_000 }, (error, stdout) => {
      const code = error === null ? 0 : error.killed ? 'hung' : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout });
    });
  });
}

let dir: string;
const files: Record<string, string> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'greenreactor-policy-kinds-'));
  files.fifo = join(dir, 'fifo.json');
  execFileSync('mkfifo', [files.fifo]);
  files.directory = join(dir, 'dir.json');
  mkdirSync(files.directory);
  files['symlink loop'] = join(dir, 'loop-a.json');
  symlinkSync(join(dir, 'loop-b.json'), files['symlink loop']);
  symlinkSync(files['symlink loop'], join(dir, 'loop-b.json'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a policy file that is a FIFO, a directory or a symlink loop', () => {
  it.each(['fifo', 'directory', 'symlink loop'])('policy check of a %s exits 1 with one unreadable-file issue', async (kind) => {
    const run = await cli('policy', 'check', files[kind]!);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('(file): Cannot read policy file');
  }, 30_000);

  it.each(['fifo', 'directory', 'symlink loop'])('policy explain with a %s exits 1 with one unreadable-file issue', async (kind) => {
    const run = await cli('policy', 'explain', files[kind]!, 'resize');
    expect(run.code).toBe(1);
    expect(run.stdout + '').toContain('Cannot read policy file');
  }, 30_000);

  it('new Reactor({ policy }) of a FIFO throws PolicyConfigError saying it is not a regular file', async () => {
    // In a child process: on a FIFO, a read that blocks blocks the whole thread.
    const script = `
      const { Reactor } = await import(${JSON.stringify(index)});
      try { new Reactor({ policy: ${JSON.stringify(files.fifo)} }); console.log('built'); }
      catch (e) { console.log(e.name + ': ' + e.issues[0].message); }`;
    const out = await new Promise<string>((resolve) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 }, (error, stdout) =>
        resolve(error?.killed === true ? 'hung' : stdout.trim()),
      );
    });
    expect(out).toBe(`PolicyConfigError: Cannot read policy file ${files.fifo} (not a regular file: a FIFO)`);
  }, 30_000);

  it("policy.watch(file): a file replaced by a FIFO is reported through 'error' and the policy in force stays", async () => {
    const file = join(dir, 'watched.json');
    writeFileSync(file, JSON.stringify({ default: 'green' }));
    const policy = Policy.load(file);
    const errors: Error[] = [];
    const seen = new Promise<void>((resolve) => {
      policy.on('error', (error: Error) => {
        errors.push(error);
        resolve();
      });
    });
    const watch = policy.watch(file);
    try {
      const fifo = join(dir, 'next-fifo');
      execFileSync('mkfifo', [fifo]);
      renameSync(fifo, file);
      await seen;
      expect(errors[0]?.message).toMatch(/not a regular file/);
      expect(policy.config.default).toBe('green');
    } finally {
      watch.close();
    }
  }, 30_000);
});

describe('a policy file too large to be a policy', () => {
  let huge: string;
  beforeAll(() => {
    huge = join(dir, 'huge.json');
    writeFileSync(huge, '');
    truncateSync(huge, 1024 ** 3); // sparse: no disk used
  });

  it('Policy.load() throws PolicyConfigError naming its size and the limit, before reading it', () => {
    const rss = process.memoryUsage().rss;
    const issues = [{ path: '', message: `Cannot read policy file ${huge} (too large: 1024 MiB, a policy file may be at most 16 MiB)` }];
    expect(() => Policy.load(huge)).toThrow(PolicyConfigError);
    expect(() => Policy.load(huge)).toThrow(expect.objectContaining({ issues }));
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * 1024 ** 2); // a generous guard: reading it takes 1 GB
  });

  it('policy check exits 1 with the one too-large issue', async () => {
    const run = await cli('policy', 'check', huge);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('(too large: 1024 MiB, a policy file may be at most 16 MiB)');
  }, 30_000);

  it("policy.watch(file): a file replaced by a huge one is reported through 'error' and the policy in force stays", async () => {
    const file = join(dir, 'watched-huge.json');
    writeFileSync(file, JSON.stringify({ default: 'green' }));
    const policy = Policy.load(file);
    const seen = new Promise<Error>((resolve) => policy.on('error', resolve));
    const watch = policy.watch(file);
    try {
      const next = join(dir, 'next-huge');
      writeFileSync(next, '');
      truncateSync(next, 1024 ** 3);
      renameSync(next, file);
      expect((await seen).message).toMatch(/too large: 1024 MiB/);
      expect(policy.config.default).toBe('green');
    } finally {
      watch.close();
    }
  }, 30_000);
});

describe('a policy file holding terminal control sequences', () => {
  it.each<[string, string]>([
    ['in text JSON cannot parse', '\u001b]0;pwned\u0007\u001b[2J{"a":'],
    ['in an unknown key', String.raw`{"\u001b[2J\r": 1}`],
    ['in a rule name of a valid file', String.raw`{"rules": [{"name": "\u001b[31mred\u009b", "match": {"task": "x"}, "route": "green"}]}`],
  ])('policy check prints them escaped (\\x1b), never raw to the terminal: %s', async (_, text) => {
    const file = join(dir, 'escapes.json');
    writeFileSync(file, text);
    const run = await cli('policy', 'check', file);
    expect(run.stdout).toContain('\\x1b');
    // eslint-disable-next-line no-control-regex -- no control character may reach the terminal
    expect(run.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  }, 30_000);
});
