/**
 * The packed package, used as a consumer uses it: `npm pack`, install the tarball into a fresh project in a
 * temporary directory (outside the repository, so nothing resolves to the sources), then import it, require it,
 * type-check against it, run a consumer's own task on every route and check a policy file with its bin.
 *
 * Needs the build (`npm test` builds first). The runtime dependencies come from npm's local cache
 * (`--prefer-offline`), as `npm ci` left them.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild, type ChildRun } from '../helpers/run-child.js';
import { consumerTs, mainCjs, packageJson, policyJson, runMjs, tasksMjs, tsconfigJson } from './consumer-files.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

/**
 * How long one child process may take before it counts as hung, and how long its test may take (more than the
 * child, so a slow child fails with its own output rather than a bare Jest timeout). Bounds, not synchronisation:
 * on a loaded machine the tools here (npm, tsc, attw) take several times longer than on a quiet one.
 */
const childMs = 90_000;
const testMs = childMs + 10_000;

/** Runs a command in `cwd`, bounded by `childMs`, keeping up to 16 MiB of output (npm pack's file list is long). */
function run(file: string, args: string[], cwd: string): Promise<ChildRun> {
  return runChild(file, args, { cwd, timeoutMs: childMs, maxBuffer: 16 * 1024 * 1024 });
}

interface PackedFile {
  path: string;
  mode: number;
}

// The package is packed and installed in the file's top-level hooks: Jest starts `it.concurrent` tests once the
// top-level `beforeAll` hooks have run, before any `describe`'s own.
let dir: string;
let tarball: string;
let app: string;
let files: PackedFile[];
let installed: ChildRun;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'greenreactor-pack-'));
  const packed = await run(npm, ['pack', '--json', '--pack-destination', dir], repo);
  if (packed.code !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: PackedFile[] }>;
  if (info === undefined) throw new Error('npm pack printed no package');
  files = info.files;
  tarball = join(dir, info.filename);
  app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), packageJson);
  writeFileSync(join(app, 'tasks.mjs'), tasksMjs);
  writeFileSync(join(app, 'run.mjs'), runMjs);
  writeFileSync(join(app, 'main.cjs'), mainCjs);
  writeFileSync(join(app, 'consumer.ts'), consumerTs);
  writeFileSync(join(app, 'tsconfig.json'), tsconfigJson);
  writeFileSync(join(app, 'policy.json'), policyJson);
  const typesNode = JSON.parse(readFileSync(join(repo, 'node_modules', '@types', 'node', 'package.json'), 'utf8')) as { version: string };
  installed = await run(
    npm,
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball, `@types/node@${typesNode.version}`],
    app,
  );
}, 2 * testMs);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the packed package', () => {
  describe('tarball contents', () => {
    it('holds dist/src, dist/workers, policy.schema.json, README.md, LICENSE and package.json, and nothing else', () => {
      const allowed = (p: string): boolean =>
        p.startsWith('dist/src/') || p.startsWith('dist/workers/') || ['policy.schema.json', 'README.md', 'LICENSE', 'package.json'].includes(p);
      expect(files.map((f) => f.path).filter((p) => !allowed(p))).toEqual([]);
      const paths = new Set(files.map((f) => f.path));
      for (const needed of [
        'package.json',
        'README.md',
        'LICENSE',
        'policy.schema.json',
        'dist/src/index.js',
        'dist/src/index.d.ts',
        'dist/src/worker/index.js',
        'dist/src/worker/index.d.ts',
        'dist/src/cli/main.js',
        'dist/workers/task-worker.js',
        'dist/workers/task-worker-loader.cjs',
      ]) {
        expect(paths).toContain(needed);
      }
    });

    it('holds no tests, benchmarks, examples or TypeScript sources', () => {
      const stray = files.map((f) => f.path).filter((p) => /(^|\/)(test|bench|examples)\//.test(p) || /\.test\./.test(p) || (p.endsWith('.ts') && !p.endsWith('.d.ts')));
      expect(stray).toEqual([]);
    });

    it('ships the bin as an executable file', () => {
      const bin = files.find((f) => f.path === 'dist/src/cli/main.js');
      expect((bin?.mode ?? 0) & 0o111).not.toBe(0);
    });
  });

  describe('package linters', () => {
    it.concurrent('passes publint --strict (exports, files, types, bin)', async () => {
      const result = await run(process.execPath, [join(repo, 'node_modules', 'publint', 'src', 'cli.js'), 'run', tarball, '--strict'], dir);
      expect({ code: result.code, out: result.stdout.trim() }).toEqual({ code: 0, out: expect.stringContaining('All good!') });
    }, testMs);

    it.concurrent('passes @arethetypeswrong/cli with the ESM-only profile (types resolve for node16 ESM and bundlers)', async () => {
      const attw = join(repo, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
      const result = await run(process.execPath, [attw, tarball, '--profile', 'esm-only', '--format', 'json'], dir);
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as { analysis: { problems: Array<{ kind: string; resolutionKind?: string }> } };
      const counted = report.analysis.problems.filter((p) => p.resolutionKind !== 'node10' && p.resolutionKind !== 'node16-cjs');
      expect(counted).toEqual([]);
    }, testMs);
  });

  describe('installed into a fresh project', () => {
    it('installs from the tarball', () => {
      expect({ code: installed.code, stderr: installed.code === 0 ? '' : installed.stderr }).toEqual({ code: 0, stderr: '' });
    });

    it.concurrent("imports as ESM and runs the consumer's own task with deferToThread, deferToGreenlet and dispatch, then exits by itself", async () => {
      const result = await run(process.execPath, ['run.mjs'], app);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toEqual({
        thread: 49,
        green: 64,
        greenGenerator: 5050,
        dispatched: 81,
        route: 'thread',
        deferred: 'function',
        cancelled: false,
      });
    }, testMs);

    it.concurrent('is require()d from CommonJS and runs a task defined in a CommonJS module on a thread', async () => {
      const result = await run(process.execPath, ['main.cjs'], app);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toEqual({ value: 42, deferred: 'function', schema: 'object', name: 'greenreactor', cancelled: false });
    }, testMs);

    it.concurrent('type-checks a strict TypeScript consumer against the shipped declarations', async () => {
      const result = await run(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'], app);
      expect({ code: result.code, out: result.stdout + result.stderr }).toEqual({ code: 0, out: '' });
    }, testMs);

    it.concurrent('runs `npx greenreactor policy check` on a consumer policy file', async () => {
      const result = await run(npx, ['--no-install', 'greenreactor', 'policy', 'check', 'policy.json'], app);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('policy.json: valid');
      expect(result.stdout).toContain("squares: task 'square' -> thread");
    }, testMs);

    it.concurrent('runs `npx greenreactor soak`: its worker-side tasks ship, so calls end as planned (values, crashes, timeouts)', async () => {
      const result = await run(npx, ['--no-install', 'greenreactor', 'soak', '--calls', '300', '--quiet', '--json', 'soak.json'], app);
      // Whether every check holds is the soak test's business (test/soak); here: the command runs from the package.
      expect([0, 1]).toContain(result.code);
      const report = JSON.parse(readFileSync(join(app, 'soak.json'), 'utf8')) as { calls: number; observed: Record<string, number> };
      expect(report.calls).toBe(300);
      expect(report.observed).not.toHaveProperty('TaskNotFoundError');
      expect(report.observed.value).toBeGreaterThan(200);
      expect(report.observed.WorkerCrashedError).toBeGreaterThan(0);
      expect(report.observed.TimeoutError).toBeGreaterThan(0);
    }, testMs);

    it.concurrent('exits 1 from `npx greenreactor policy check` with the issue on an invalid file', async () => {
      writeFileSync(join(app, 'bad-policy.json'), JSON.stringify({ threads: { maxThreads: 0 } }));
      const result = await run(npx, ['--no-install', 'greenreactor', 'policy', 'check', 'bad-policy.json'], app);
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toContain('/threads/maxThreads');
    }, testMs);
  });
});
