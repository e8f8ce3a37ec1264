/**
 * The policy suite: what `dispatch` costs, and whether `auto` picks well.
 *
 * 1. Dispatch overhead: the same tiny task through `dispatch` (routed by a policy to one path) and
 *    through that path called directly (`deferToThread`, `deferToGreenlet`, `maybeDeferred`), on one
 *    reactor, batches alternating. The ratio is dispatch / direct throughput; the target is ≥ 0.95
 *    (overhead ≤ 1.05×).
 * 2. A mixed workload — CPU-heavy tasks (fib, kind `cpu`), tiny tasks with no kind, and tasks with no
 *    kind that usually take microseconds but now and then block for 30 ms — under `auto` vs everything
 *    forced to threads vs everything forced to greenlets. Target: `auto` at least matches the better
 *    fixed route's throughput, with loop-delay p99 within 1.2× of the all-threads run.
 *
 * The tasks are defined here (`defineTask(import.meta.url, …)`), so workers import this module: it
 * does nothing at import time in a worker.
 *
 * @module
 */
import { isMainThread } from 'node:worker_threads';
import { Reactor, defineTask, maybeDeferred, type PolicyConfig } from '../src/index.js';
import { isMainModule } from './lib/is-main-module.js';
import { setImmediate as turnLoop } from 'node:timers/promises';
import { formatRatio } from './lib/format-table.js';
import { LoopDelayRecorder } from './lib/loop-delay-recorder.js';
import { measureComparison, type Variant, type Workload } from './lib/measure-comparison.js';
import { resultGroup } from './lib/result-group.js';
import type { ResultGroup, SuiteResult } from './lib/suite-result.js';
import { fibTask, tiny, tinyTask } from './lib/workload-tasks.js';
import { writeSuiteResult } from './lib/write-suite-result.js';

/** Options of the suite (the runner passes these). */
export interface PolicyBenchOptions {
  /** Short budget and smaller workloads. */
  quick?: boolean;
  /** Time budget per variant, ms. */
  timeMs?: number;
  /** Where to write `policy.json`. */
  resultsDir?: string;
}

/** How long a blocking call of {@link sometimesBlocks} holds its thread (ms). */
const blockMs = 30;
let calls = 0;

/**
 * Usually `x + 1` in microseconds; every `every`-th call in this thread busy-waits 30 ms, like a cache
 * miss that falls through to a synchronous lookup. It declares no kind: `auto` has to find out.
 * @param x - a number.
 * @param every - one call in this many blocks.
 * @returns x + 1.
 */
export function sometimesBlocks(x: number, every: number): number {
  calls += 1;
  if (calls % every === 0) {
    const until = performance.now() + blockMs;
    while (performance.now() < until) {
      // a synchronous stall
    }
  }
  return x + 1;
}

/** `sometimesBlocksTask(x)`: no kind declared. */
export const sometimesBlocksTask = defineTask(import.meta.url, 'sometimesBlocksTask', sometimesBlocks);

const repeat = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const threads = { minThreads: 2, maxThreads: 2 };

/** A reactor with the given policy, its workers started before measuring (start-up is a one-time cost). */
function reactorVariant(name: string, policy: PolicyConfig, batch: (r: Reactor) => Promise<unknown>): Variant {
  let reactor: Reactor | undefined;
  return {
    name,
    setup: async () => {
      reactor = new Reactor({ policy: { threads, ...policy } });
      await Promise.all(repeat(4, (i) => reactor!.deferToThread(tinyTask, i)));
    },
    run: () => batch(reactor!),
    teardown: async () => {
      await reactor?.stop();
      reactor = undefined;
    },
  };
}

/**
 * Dispatch vs the direct call of the path the policy picks, for `n` tiny calls per sample, measured paired.
 *
 * Why not two tinybench runs one after the other: on two shared cores the thread path's speed drifts by
 * ±30 % over a second (JIT, worker warm-up, other processes), far more than the overhead measured. So the
 * two variants alternate batch by batch on one warmed reactor (order swapped every round) and each row is
 * the median of its own batches: drift hits both alike. Loop delay is recorded over the paired run, so
 * both rows show the same figure.
 */
async function overheadGroup(route: 'thread' | 'green' | 'inline', n: number, timeMs: number, log: (line: string) => void): Promise<ResultGroup> {
  const reactor = new Reactor({ policy: { threads, default: route } });
  const direct: Record<typeof route, () => Promise<unknown>> = {
    thread: () => Promise.all(repeat(n, (i) => reactor.deferToThread(tinyTask, i))),
    green: () => Promise.all(repeat(n, (i) => reactor.deferToGreenlet(tinyTask, i))),
    inline: () => Promise.all(repeat(n, (i) => maybeDeferred(tiny, i))),
  };
  const variants = [
    { name: 'direct', run: direct[route], samples: [] as number[] },
    { name: 'dispatch', run: () => Promise.all(repeat(n, (i) => reactor.dispatch(tinyTask, i))), samples: [] as number[] },
  ];
  try {
    const warmUntil = performance.now() + timeMs / 2;
    while (performance.now() < warmUntil) for (const v of variants) await v.run();
    const recorder = new LoopDelayRecorder();
    recorder.start();
    const until = performance.now() + 2 * timeMs;
    for (let round = 0; round < 20 || performance.now() < until; round += 1) {
      for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
        const t0 = performance.now();
        await v.run();
        v.samples.push(performance.now() - t0);
        await turnLoop();
      }
    }
    const loopDelay = recorder.stop();
    const rows = variants.map(({ name, samples }) => {
      const sorted = [...samples].sort((a, b) => a - b);
      const median = sorted[sorted.length >> 1] ?? 0;
      const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
      return {
        name,
        opsPerSec: median > 0 ? Math.round((n * 1000 * 1000) / median) / 1000 : 0,
        medianMs: Math.round(median * 10000) / 10000,
        p99Ms: Math.round(p99 * 10000) / 10000,
        batch: n,
        loopDelay,
        samplesMs: samples.slice(0, 500).map((x) => Math.round(x * 10000) / 10000),
      };
    });
    const group = resultGroup(
      `dispatch overhead: ${route}`,
      `${n} tiny tasks per sample, routed to ${route} by the policy's default, vs calling that path directly; paired, alternating batches.`,
      'direct',
      rows,
    );
    log(`  [policy] ${group.name}: dispatch ${formatRatio(group.rows[1]?.ratio ?? 0)} of direct (${variants[0]?.samples.length ?? 0} batches each)`);
    return group;
  } finally {
    await reactor.stop();
  }
}

/** The mixed workload under auto, all threads and all green. */
function mixedWorkload(fibN: number, blockEvery: number): Workload {
  const batch = (r: Reactor): Promise<unknown> =>
    Promise.all([
      ...repeat(4, () => r.dispatch(fibTask, fibN)),
      ...repeat(100, (i) => r.dispatch(tinyTask, i)),
      ...repeat(8, (i) => r.dispatch(sometimesBlocksTask, i, blockEvery)),
    ]);
  return {
    name: `mixed, 1 in ${blockEvery} blocks: auto vs fixed routes`,
    description: `Per sample: 4 fib(${fibN}) (kind cpu), 100 tiny tasks (no kind), 8 no-kind tasks of which 1 in ${blockEvery} blocks ${blockMs} ms.`,
    batch: 112,
    baseline: 'all threads',
    variants: [
      reactorVariant('all threads', { default: 'thread' }, batch),
      reactorVariant('all green', { default: 'green' }, batch),
      reactorVariant('auto', { default: 'auto' }, batch),
    ],
  };
}

/**
 * Runs the suite, prints its tables and writes `bench/results/policy.json`.
 * @param options - quick mode, time budget, results directory.
 * @returns the result.
 */
export async function run(options: PolicyBenchOptions = {}): Promise<SuiteResult> {
  const quick = options.quick ?? false;
  const fibN = quick ? 22 : 25;
  const timeMs = options.timeMs ?? (quick ? 150 : 1000);
  const log = (line: string): void => console.log(line);
  const overhead: ResultGroup[] = [];
  for (const route of ['thread', 'green', 'inline'] as const) overhead.push(await overheadGroup(route, quick ? 50 : 100, timeMs, log));
  const mixed = await measureComparison([mixedWorkload(fibN, 5), mixedWorkload(fibN, 25)], {
    suite: 'policy',
    title: 'Policy: dispatch overhead and the auto route',
    description:
      'dispatch vs calling the chosen path directly (target ≥ 0.95× throughput), and a mixed workload under auto vs all-threads vs all-green (target: auto ≥ the better fixed route, loop p99 ≤ 1.2× all-threads).',
    quick,
    ...(options.timeMs !== undefined ? { timeMs: options.timeMs } : {}),
    notes: [
      'Threads: a pool of 2 workers (the machine has 2 cores, shared with the benchmark itself).',
      'auto: fib is kind cpu (threads); tiny tasks start on threads and move to greenlets after 20 short runs; sometimesBlocks moves to greenlets too, and back to threads for good once the hub reports one of its green steps as blocked.',
      'The hub times every step and reports each one longer than blockingThresholdMs, so auto sends a task back to threads at its first green stall.',
      'all green runs fib and the blocking calls on the event loop: they are single greenlet steps, so the loop stalls.',
    ],
  });
  const result: SuiteResult = { ...mixed, groups: [...overhead, ...mixed.groups] };
  await writeSuiteResult(result, options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {});
  return result;
}

if (isMainThread && isMainModule(import.meta.url)) {
  await run({ quick: process.argv.includes('--quick') });
}
