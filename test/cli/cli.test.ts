import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The built command, as npm links it (`bin` in package.json); `npm test` builds first.
const bin = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

// The files are made in the file's top-level hooks: Jest starts `it.concurrent` tests once the top-level `beforeAll`
// hooks have run, before any `describe`'s own.
let dir: string;
let valid: string;
let invalid: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'greenreactor-cli-'));
  valid = join(dir, 'valid.json');
  invalid = join(dir, 'invalid.json');
  writeFileSync(
    valid,
    JSON.stringify({
      threads: { maxThreads: 4 },
      rules: [
        { name: 'images', match: { task: 'resize*' }, route: 'thread', timeoutMs: 5000 },
        { name: 'big', match: { argBytes: { gte: 1048576 } }, route: 'green' },
        { match: { kind: 'io' }, route: 'inline' },
        { name: 'pdf', match: { task: 'pdf*' }, route: 'thread', pool: 'docs', maxConcurrent: 2 },
      ],
      pools: { docs: { maxThreads: 1 } },
    }),
  );
  writeFileSync(invalid, JSON.stringify({ extra: 1, threads: { maxThreads: 0 }, rules: [{ match: { task: '[' }, route: 'gpu' }] }));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('greenreactor (the built bin)', () => {
  it('is an executable file that starts with a node shebang', () => {
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(() => accessSync(bin, constants.X_OK)).not.toThrow();
    expect(statSync(bin).mode & 0o111).not.toBe(0);
  });

  describe('policy check', () => {
    it.concurrent('exits 0 with a summary for a valid file', async () => {
      const run = await cli('policy', 'check', valid);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`${valid}: valid`);
      expect(run.stdout).toContain('default route: auto');
      expect(run.stdout).toContain("1. images: task 'resize*' -> thread (timeout 5000 ms)");
      expect(run.stdout).toContain('2. big: argBytes gte 1048576 -> green');
      expect(run.stdout).toContain('3. rules[2]: kind io -> inline');
      expect(run.stdout).toContain("4. pdf: task 'pdf*' -> thread (pool 'docs', maxConcurrent 2)");
      expect(run.stdout).toContain('threads: maxThreads 4');
      expect(run.stdout).toContain("pool 'docs': maxThreads 1");
      expect(run.stdout).toContain('adaptive: sampleSize 20, minThreadRunMs 0.5, blockingThresholdMs 20, blockingRunsToPin 1');
    });

    it.concurrent('exits 1 listing every issue with its path', async () => {
      const run = await cli('policy', 'check', invalid);
      expect(run.code).toBe(1);
      const lines = run.stdout.trim().split('\n');
      expect(lines[0]).toBe(`${invalid}: invalid (4 issues)`);
      expect(lines.slice(1).map((l) => l.trim().split(':')[0])).toEqual(['/threads/maxThreads', '/rules/0/match/task', '/rules/0/route', '/extra']);
    });

    it.concurrent('exits 1 with one issue for an unreadable file', async () => {
      const run = await cli('policy', 'check', join(dir, 'missing.json'));
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('(file): Cannot read policy file');
    });

    it.concurrent('prints the issues as JSON with --json', async () => {
      const run = await cli('policy', 'check', invalid, '--json');
      expect(run.code).toBe(1);
      const body = JSON.parse(run.stdout) as { valid: boolean; issues: Array<{ path: string }> };
      expect(body.valid).toBe(false);
      expect(body.issues.map((i) => i.path)).toContain('/extra');
    });

    it.concurrent('exits 2 with usage when the file is missing from the command line', async () => {
      const run = await cli('policy', 'check');
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('usage: greenreactor policy check <file>');
    });
  });

  describe('policy explain', () => {
    it.concurrent('prints the route, rule and reason of a matching rule', async () => {
      const run = await cli('policy', 'explain', valid, 'resizeJpeg');
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(
        ['task:   resizeJpeg', 'route:  thread', 'rule:   images', 'timeout: 5000 ms', "reason: rule 'images' matched task 'resizeJpeg'", ''].join('\n'),
      );
    });

    it.concurrent("names the rule's pool and bulkhead", async () => {
      const run = await cli('policy', 'explain', valid, 'pdfRender');
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(
        [
          'task:   pdfRender',
          'route:  thread',
          'rule:   pdf',
          'pool:   docs',
          'bulkhead: at most 2 in flight (maxConcurrent)',
          "reason: rule 'pdf' matched task 'pdfRender'; in pool 'docs'; bulkhead: at most 2 in flight (maxConcurrent)",
          '',
        ].join('\n'),
      );
    });

    it.concurrent('uses --arg-bytes for argBytes rules', async () => {
      const run = await cli('policy', 'explain', valid, 'hash', '--arg-bytes', '2000000');
      expect(run.stdout).toContain('route:  green');
      expect(run.stdout).toContain("reason: rule 'big' matched task 'hash' (argBytes 2000000 >= 1048576)");
    });

    it.concurrent('uses --kind for kind rules', async () => {
      const run = await cli('policy', 'explain', valid, 'fetch', '--kind', 'io');
      expect(run.stdout).toContain('rule:   rules[2]');
      expect(run.stdout).toContain('route:  inline');
    });

    it.concurrent('falls back to auto when no rule matches', async () => {
      const run = await cli('policy', 'explain', valid, 'fib', '--kind', 'cpu');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('rule:   (none)');
      expect(run.stdout).toContain("reason: auto: kind 'cpu' starts on threads");
    });

    it.concurrent('prints the decision as JSON with --json', async () => {
      const run = await cli('policy', 'explain', valid, 'resize', '--json');
      expect(JSON.parse(run.stdout)).toEqual({
        task: 'resize',
        route: 'thread',
        rule: 'images',
        timeoutMs: 5000,
        reason: "rule 'images' matched task 'resize'",
      });
    });

    it.concurrent('exits 2 on an unknown kind', async () => {
      const run = await cli('policy', 'explain', valid, 'x', '--kind', 'gpu');
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Expected `--kind` to be one of cpu, blocking, io, cooperative, got `gpu`');
    });

    it.concurrent('exits 2 on a negative --arg-bytes', async () => {
      expect((await cli('policy', 'explain', valid, 'x', '--arg-bytes', '-1')).code).toBe(2);
    });

    it.concurrent('exits 1 with the issues when the policy is invalid', async () => {
      const run = await cli('policy', 'explain', invalid, 'x');
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('/threads/maxThreads');
    });
  });

  describe('policy schema', () => {
    it.concurrent('prints the shipped JSON Schema', async () => {
      const run = await cli('policy', 'schema');
      expect(run.code).toBe(0);
      expect(`${run.stdout}`).toBe(readFileSync(new URL('../../policy.schema.json', import.meta.url), 'utf8'));
    });
  });

  describe('--help', () => {
    it.concurrent.each([
      [['--help'], 'usage: greenreactor <command>'],
      [['policy', '--help'], 'usage: greenreactor policy <command>'],
      [['policy', 'check', '--help'], 'usage: greenreactor policy check <file>'],
      [['policy', 'explain', '--help'], 'usage: greenreactor policy explain <file> <task>'],
      [['policy', 'schema', '--help'], 'usage: greenreactor policy schema'],
      [['bench', '--help'], 'usage: greenreactor bench'],
      [['demo', '--help'], 'usage: greenreactor demo'],
      [['soak', '--help'], 'usage: greenreactor soak [--calls N]'],
    ])('%j prints usage and exits 0', async (args, usage) => {
      const run = await cli(...args);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(usage);
    });
  });

  describe('usage errors', () => {
    it.concurrent.each([[[]], [['frobnicate']], [['policy']], [['policy', 'lint']], [['policy', 'check', 'a.json', '--nope']], [['soak', '--calls', 'many']], [['soak', '--calls', '-5']], [['soak', '--frob']]])(
      '%j exits 2 with usage on stderr',
      async (args) => {
        const run = await cli(...args);
        expect(run.code).toBe(2);
        expect(run.stderr).toContain('usage: greenreactor');
      },
    );
  });
});
