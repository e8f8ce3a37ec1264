/**
 * Measures workloads several ways with tinybench, recording event-loop delay beside throughput.
 *
 * Each (workload, way) pair gets its own tinybench run so a failure in one path is reported as
 * an error row instead of ending the suite, and so progress can be printed while a long suite
 * runs. One sample is one batch of `batch` operations started together and awaited together;
 * after each sample the loop turns once (`setImmediate`), so the loop-delay timer can observe a
 * path that blocks it.
 *
 * @module
 */
import { setImmediate as turnLoop } from 'node:timers/promises';
import { Bench } from 'tinybench';
import { LoopDelayRecorder, emptyLoopDelay, type LoopDelaySummary } from './loop-delay-recorder.js';
import { failedRow, resultGroup, type MeasuredRow } from './result-group.js';
import { round4 } from './sample-stats.js';
import { suiteResult, type ResultGroup, type SuiteResult } from './suite-result.js';
import { formatNumber } from './format-table.js';
import type { Variant, Workload } from './workload.js';

/** Suite identity and time budget. */
export interface ComparisonOptions {
  /** Suite name (the result file's name). */
  readonly suite: string;
  /** Heading for the docs. */
  readonly title: string;
  /** What the suite answers. */
  readonly description: string;
  /** Shorter budget. @defaultValue false */
  readonly quick?: boolean;
  /** Time budget per variant in ms. @defaultValue 1000, quick 150 */
  readonly timeMs?: number;
  /** Minimum samples per variant. @defaultValue 8, quick 3 */
  readonly iterations?: number;
  /** Remarks to keep with the results. */
  readonly notes?: readonly string[];
  /** Progress printer; `null` for silence. @defaultValue console.log */
  readonly log?: ((line: string) => void) | null;
}

const maxStoredSamples = 500;

async function measureVariant(variant: Variant, batch: number, timeMs: number, iterations: number, warmupRuns: number): Promise<MeasuredRow> {
  const recorder = new LoopDelayRecorder();
  let loopDelay: LoopDelaySummary = emptyLoopDelay;
  const bench = new Bench({
    time: timeMs,
    iterations,
    // Generous warm-up: the baseline runs first, and a cold JIT or allocator would flatter every later path.
    warmupTime: Math.max(100, Math.round(timeMs / 4)),
    warmupIterations: Math.max(3, Math.round(iterations / 2)),
    retainSamples: true,
    throws: true,
  });
  bench.add(variant.name, async () => {
    await variant.run();
  }, {
    afterEach: async () => {
      await turnLoop();
    },
    beforeAll: (mode) => {
      if (mode === 'run') recorder.start();
    },
    afterAll: (mode) => {
      if (mode === 'run') loopDelay = recorder.stop();
    },
  });
  const failed = (error: unknown): MeasuredRow => failedRow(variant.name, batch, error);
  try {
    await variant.setup?.();
    for (let i = 0; i < warmupRuns; i++) await variant.run();
    await bench.run();
  } catch (error) {
    recorder.stop();
    return failed(error);
  } finally {
    await variant.teardown?.();
  }
  const result = bench.tasks[0]?.result;
  if (result === undefined || !('latency' in result)) {
    return failed(result !== undefined && 'error' in result ? result.error : new Error(`no result (${result?.state ?? 'none'})`));
  }
  const median = result.latency.p50;
  return {
    name: variant.name,
    opsPerSec: median > 0 ? Math.round((batch * 1000 * 1000) / median) / 1000 : 0,
    medianMs: round4(median),
    p99Ms: round4(result.latency.p99),
    batch,
    loopDelay,
    samplesMs: (result.latency.samples ?? []).slice(0, maxStoredSamples).map(round4),
  };
}

/**
 * Measures every workload through every variant and returns the suite's result (not yet written).
 *
 * @param workloads - the workloads.
 * @param options - suite identity, budget, printer.
 * @returns the result, with ratios against each workload's baseline.
 * @example
 * ```ts
 * const result = await measureComparison([{ name: 'noop', description: '…', batch: 100, baseline: 'inline', variants }], { suite: 'x', title: 'X', description: '…' });
 * await writeSuiteResult(result);
 * ```
 */
export async function measureComparison(workloads: readonly Workload[], options: ComparisonOptions): Promise<SuiteResult> {
  const quick = options.quick ?? false;
  const timeMs = options.timeMs ?? (quick ? 150 : 1000);
  const iterations = options.iterations ?? (quick ? 3 : 8);
  const log = options.log === undefined ? (line: string) => console.log(line) : options.log;
  const total = workloads.reduce((n, w) => n + w.variants.length, 0);
  const started = performance.now();
  let index = 0;
  const groups: ResultGroup[] = [];
  for (const workload of workloads) {
    const rows: MeasuredRow[] = [];
    for (const variant of workload.variants) {
      index += 1;
      const t0 = performance.now();
      const row = await measureVariant(variant, workload.batch, timeMs, iterations, workload.warmupRuns ?? 0);
      rows.push(row);
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      const what = row.error === undefined
        ? `${formatNumber(row.opsPerSec)} ops/s, loop p99 ${formatNumber(row.loopDelay.p99Ms)} ms`
        : `error: ${row.error}`;
      log?.(`  [${options.suite} ${index}/${total}] ${workload.name} › ${variant.name}: ${what} (${secs} s)`);
    }
    groups.push(resultGroup(workload.name, workload.description, workload.baseline, rows));
  }
  return suiteResult({ suite: options.suite, title: options.title, description: options.description, quick, groups, notes: [...(options.notes ?? [])] }, started);
}
