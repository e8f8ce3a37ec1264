/**
 * Adversarial tests of the `greenreactor` command run in-process (`main(argv, io)`): a command name that is an
 * `Object.prototype` member is an unknown command, and a file a command cannot write is one named line on stderr with
 * exit code 1 — never a stack dump, never a rejection out of `main`.
 *
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/cli-io.js';

interface Recorded extends CliIo {
  readonly stdout: string[];
  readonly stderr: string[];
}

function recording(): Recorded {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => void stdout.push(line), err: (line) => void stderr.push(line) };
}

let dir: string;
/** A path under a regular file: nothing can be written there (ENOTDIR), whoever runs the test. */
let unwritable: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-control-'));
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  unwritable = join(file, 'out.json');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('greenreactor <command>', () => {
  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'])(
    'exits 2 with "unknown command" and the usage for %s (an Object member, not a command)',
    async (name) => {
      const io = recording();
      await expect(main([name], io)).resolves.toBe(2);
      expect(io.stderr[0]).toBe(`greenreactor: unknown command \`${name}\``);
      expect(io.stderr.join('\n')).toContain('usage: greenreactor');
    },
  );
});

describe('a file a command cannot write', () => {
  it('policy schema --output: exits 1 with one line on stderr naming the command and the file', async () => {
    const io = recording();
    await expect(main(['policy', 'schema', '--output', unwritable], io)).resolves.toBe(1);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toBe(`greenreactor policy: cannot write the schema to ${unwritable}: ENOTDIR: not a directory, open '${unwritable}'`);
    expect(io.stderr[0]).not.toContain('    at ');
  });

  it('soak --json: exits 1 with one line on stderr naming the file, after printing the report', async () => {
    const io = recording();
    await expect(main(['soak', '--calls', '20', '--quiet', '--json', unwritable], io)).resolves.toBe(1);
    expect(io.stdout.some((line) => line.startsWith('soak: 20 calls'))).toBe(true);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]?.startsWith(`greenreactor soak: cannot write the report to ${unwritable}: E`)).toBe(true);
  }, 60_000);
});
