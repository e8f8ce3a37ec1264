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

// 5,000 rules (10,000 issues) stand for the 100,000 of a generated file: the bound does not depend on the count, and
// validating thousands of rules takes seconds under ts-jest.
describe('a policy file with thousands of bad rules (twice as many issues)', () => {
  let bad: string;
  let many: string;
  const rules = 5_000;
  beforeAll(() => {
    bad = join(dir, 'bad-rules.json');
    writeFileSync(bad, JSON.stringify({ rules: Array.from({ length: rules }, () => ({ match: { task: '[' }, route: 'gpu' })) }));
    many = join(dir, 'many-rules.json');
    writeFileSync(many, JSON.stringify({ rules: Array.from({ length: rules }, (_, i) => ({ name: `r${i}`, match: { task: `t${i}` }, route: 'green' })) }));
  });

  it.each([
    ['policy check', ['policy', 'check']],
    ['policy explain', ['policy', 'explain']],
  ])('%s: exits 1 printing the count, the first issues and "… and K more", not every issue', async (_command, argv) => {
    const io = recording();
    const args = argv[1] === 'explain' ? [...argv, bad, 'someTask'] : [...argv, bad];
    await expect(main(args, io)).resolves.toBe(1);
    expect(io.stdout[0]).toBe(`${bad}: invalid (${2 * rules} issues)`);
    expect(io.stdout.length).toBeLessThan(100);
    expect(io.stdout[1]).toMatch(/^ {2}\/rules\/0\/match\/task: /);
    const shown = io.stdout.length - 2;
    expect(io.stdout.at(-1)).toBe(`  … and ${2 * rules - shown} more issues (--json lists every one)`);
  });

  it('policy check --json: still lists every issue (for tools)', async () => {
    const io = recording();
    await expect(main(['policy', 'check', bad, '--json'], io)).resolves.toBe(1);
    expect((JSON.parse(io.stdout.join('\n')) as { issues: unknown[] }).issues).toHaveLength(2 * rules);
  });

  it('policy check of a valid file with thousands of rules: exits 0 printing the count, the first rules and "… and K more"', async () => {
    const io = recording();
    await expect(main(['policy', 'check', many], io)).resolves.toBe(0);
    expect(io.stdout).toContain(`  rules: ${rules}`);
    expect(io.stdout).toContain("    1. r0: task 't0' -> green");
    expect(io.stdout.length).toBeLessThan(100);
    const more = io.stdout.find((line) => line.startsWith('    … and '));
    const listed = io.stdout.filter((line) => /^ {4}\d+\. /.test(line)).length;
    expect(more).toBe(`    … and ${rules - listed} more rules`);
  });

  it('the PolicyConfigError it throws has a bounded message; its issues list every one', async () => {
    const { Policy } = await import('../../src/policy/policy.js');
    let thrown: unknown;
    try {
      Policy.load(bad);
    } catch (error) {
      thrown = error;
    }
    const error = thrown as { issues: unknown[]; message: string };
    expect(error.issues).toHaveLength(2 * rules);
    expect(error.message.split('\n').length).toBeLessThan(100);
    expect(error.message).toMatch(/\n {2}… and \d+ more issues \(`error\.issues` lists every one\)$/);
  });
});
