/**
 * The benchmark runner: `npm run bench [-- suite… --quick]`, also `greenreactor bench [suite…]`.
 *
 * Runs every compiled suite next to it (`*.bench.js`, each exporting `run({ quick })` and writing
 * `bench/results/<suite>.json`), or those named, one after the other so they do not compete for
 * the cores; prints a heartbeat while a long suite runs; then regenerates `docs/benchmarks.md`
 * and the charts from every result file, including those of suites not run this time.
 *
 * @module
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainModule } from './lib/is-main-module.js';
import { regenerateBenchmarkDocs } from './lib/regenerate-benchmark-docs.js';

/** The options every suite's `run` accepts; suites may ignore the optional extras. */
export interface SuiteRunOptions {
  /** Short budget, smaller workloads. */
  quick?: boolean;
  /** Time budget per measured variant in ms (overrides the quick/full default). */
  timeMs?: number;
  /** Where to write the result file. */
  resultsDir?: string;
}

/** Parsed command line of the runner. */
export interface RunnerArgs {
  /** Suites to run; empty = all found. */
  readonly suites: readonly string[];
  /** `--quick`. */
  readonly quick: boolean;
  /** `--time <ms>`. */
  readonly timeMs: number | undefined;
  /** `--results-dir <dir>`. */
  readonly resultsDir: string | undefined;
  /** `--docs-dir <dir>`. */
  readonly docsDir: string | undefined;
  /** `--no-docs`: do not regenerate the docs. */
  readonly docs: boolean;
  /** `--list`: print the suites found and exit. */
  readonly list: boolean;
  /** `--docs-only`: run nothing, only regenerate the docs from the result files there are. */
  readonly docsOnly: boolean;
}

/** The runner's usage text. */
export const runnerUsage = `usage: greenreactor bench [suite...] [--quick] [--time <ms>] [--results-dir <dir>] [--docs-dir <dir>] [--no-docs] [--docs-only] [--list]`;

/**
 * Parses the runner's arguments.
 * @param argv - arguments after the command.
 * @returns the parsed arguments.
 * @throws TypeError on an unknown flag or a bad value.
 */
export function parseRunnerArgs(argv: readonly string[]): RunnerArgs {
  const suites: string[] = [];
  let quick = false;
  let docs = true;
  let list = false;
  let docsOnly = false;
  let timeMs: number | undefined;
  let resultsDir: string | undefined;
  let docsDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new TypeError(`Expected a value after \`${arg}\``);
      return v;
    };
    if (arg === '--quick') quick = true;
    else if (arg === '--no-docs') docs = false;
    else if (arg === '--list') list = true;
    else if (arg === '--docs-only') docsOnly = true;
    else if (arg === '--time') {
      const v = value();
      timeMs = Number(v);
      if (!(Number.isFinite(timeMs) && timeMs > 0)) throw new TypeError(`Expected \`--time\` to be a positive number of ms, got \`${v}\``);
    } else if (arg === '--results-dir') resultsDir = value();
    else if (arg === '--docs-dir') docsDir = value();
    else if (arg.startsWith('-')) throw new TypeError(`Unknown option \`${arg}\`\n${runnerUsage}`);
    else suites.push(arg);
  }
  return { suites, quick, timeMs, resultsDir, docsDir, docs, list, docsOnly };
}

/**
 * Lists the compiled suites beside the runner.
 * @param dir - the directory of compiled suites.
 * @returns suite names (`workloads` for `workloads.bench.js`), sorted.
 */
export async function findSuites(dir: string): Promise<string[]> {
  const files = await readdir(dir);
  return files.filter((f) => f.endsWith('.bench.js')).map((f) => basename(f, '.bench.js')).sort();
}

type SuiteModule = { run?: (options: SuiteRunOptions) => Promise<unknown> };

/**
 * Runs the benchmarks.
 * @param argv - the command line after `bench`.
 * @param log - line printer. @defaultValue console.log
 * @returns the exit code: 0 when every suite ran, 1 when one failed, 2 on bad usage.
 * @example
 * ```ts
 * process.exitCode = await main(['workloads', '--quick']);
 * ```
 */
export async function main(argv: readonly string[], log: (line: string) => void = (l) => console.log(l)): Promise<number> {
  let args: RunnerArgs;
  try {
    args = parseRunnerArgs(argv);
  } catch (error) {
    log((error as Error).message);
    return 2;
  }
  const dir = dirname(fileURLToPath(import.meta.url));
  const found = await findSuites(dir);
  if (args.list) {
    log(found.join('\n'));
    return 0;
  }
  const unknown = args.suites.filter((s) => !found.includes(s));
  if (unknown.length > 0) {
    log(`Unknown suite ${unknown.map((s) => `\`${s}\``).join(', ')}; found: ${found.join(', ') || 'none (run `npm run build`)'}`);
    return 2;
  }
  const selected = args.docsOnly ? [] : args.suites.length > 0 ? [...args.suites] : found;
  let failures = 0;
  const started = performance.now();
  for (const [i, suite] of selected.entries()) {
    log(`\n[bench ${i + 1}/${selected.length}] ${suite}${args.quick ? ' (quick)' : ''} …`);
    const t0 = performance.now();
    // A heartbeat for suites that print nothing while they run; unref'd so it never holds the process.
    const heartbeat = setInterval(() => log(`  … ${suite} still running (${((performance.now() - t0) / 1000).toFixed(0)} s)`), 15_000);
    heartbeat.unref();
    try {
      const mod = (await import(pathToFileURL(`${dir}/${suite}.bench.js`).href)) as SuiteModule;
      if (typeof mod.run !== 'function') throw new TypeError(`${suite}.bench.js does not export run(options)`);
      const options: SuiteRunOptions = { quick: args.quick };
      if (args.timeMs !== undefined) options.timeMs = args.timeMs;
      if (args.resultsDir !== undefined) options.resultsDir = args.resultsDir;
      await mod.run(options);
      log(`[bench] ${suite} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } catch (error) {
      failures += 1;
      log(`[bench] ${suite} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    } finally {
      clearInterval(heartbeat);
    }
  }
  if (args.docs) {
    const report = await regenerateBenchmarkDocs({
      ...(args.resultsDir !== undefined ? { resultsDir: args.resultsDir } : {}),
      ...(args.docsDir !== undefined ? { docsDir: args.docsDir } : {}),
    });
    log(`\nwrote ${report.markdown} and ${report.charts.length} chart(s)`);
    for (const s of report.skipped) log(`  skipped ${s.file}: ${s.problem}`);
  }
  log(`[bench] ${selected.length - failures}/${selected.length} suite(s) ran in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return failures === 0 ? 0 : 1;
}

if (isMainModule(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
