/**
 * The policy suite: what `dispatch` costs, and whether `auto` picks well.
 *
 * 1. Dispatch overhead: the same tiny task through `dispatch` (routed by a policy to one path) and
 *    through that path called directly (`deferToThread`, `deferToGreenlet`, `maybeDeferred`), on one
 *    reactor. The ratio is dispatch / direct throughput; the target is ≥ 0.95 (overhead ≤ 1.05×).
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
import { measureComparison, type Variant, type Workload } from './lib/measure-comparison.js';
import type { SuiteResult } from './lib/suite-result.js';
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

/** Dispatch vs the direct call of the path the policy picks, for `n` tiny calls per sample. */
function overheadWorkloads(n: number, warmupRounds: number): Workload[] {
  const direct = {
    thread: (r: Reactor) => Promise.all(repeat(n, (i) => r.deferToThread(tinyTask, i))),
    green: (r: Reactor) => Promise.all(repeat(n, (i) => r.deferToGreenlet(tinyTask, i))),
    inline: (_r: Reactor) => Promise.all(repeat(n, (i) => maybeDeferred(tiny, i))),
  };
  return (['thread', 'green', 'inline'] as const).map((route) => {
    // One reactor for both variants, so they share the warmed pool and hub. The thread path keeps getting
    // faster for its first few hundred calls (JIT, worker warm-up): warm both variants, alternating, first,
    // so neither is measured on a colder path than the other.
    let reactor: Reactor | undefined;
    const shared = {
      setup: async () => {
        if (reactor !== undefined) return;
        reactor = new Reactor({ policy: { threads, default: route } });
        for (let i = 0; i < warmupRounds; i += 1) {
          await direct[route](reactor);
          await Promise.all(repeat(n, (j) => reactor!.dispatch(tinyTask, j)));
        }
      },
    };
    return {
      name: `dispatch overhead: ${route}`,
      description: `${n} tiny tasks per sample, routed to ${route} by the policy's default, vs calling that path directly.`,
      batch: n,
      baseline: 'direct',
      variants: [
        { name: 'direct', ...shared, run: () => direct[route](reactor!) },
        {
          name: 'dispatch',
          ...shared,
          run: () => Promise.all(repeat(n, (i) => reactor!.dispatch(tinyTask, i))),
          teardown: async () => {
            await reactor?.stop();
            reactor = undefined;
          },
        },
      ],
    };
  });
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
  const workloads = [...overheadWorkloads(quick ? 50 : 100, quick ? 20 : 100), mixedWorkload(fibN, 5), mixedWorkload(fibN, 25)];
  const result = await measureComparison(workloads, {
    suite: 'policy',
    title: 'Policy: dispatch overhead and the auto route',
    description:
      'dispatch vs calling the chosen path directly (target ≥ 0.95× throughput), and a mixed workload under auto vs all-threads vs all-green (target: auto ≥ the better fixed route, loop p99 ≤ 1.2× all-threads).',
    quick,
    ...(options.timeMs !== undefined ? { timeMs: options.timeMs } : {}),
    notes: [
      'Threads: a pool of 2 workers (the machine has 2 cores, shared with the benchmark itself).',
      'auto: fib is kind cpu (threads); tiny tasks start on threads and move to greenlets after 20 short runs; sometimesBlocks moves to greenlets too, and back to threads for good once the hub reports one of its green steps as blocked.',
      "The hub times steps in batches and reports a blocked step only when the task was already suspect (it was in a batch that overran) and blocks again within its next 8 steps: a task blocking 1 call in 5 is caught at its second stall, one blocking 1 call in 25 is never reported, so auto keeps it on greenlets and the loop stalls.",
      'all green runs fib and the blocking calls on the event loop: they are single greenlet steps, so the loop stalls.',
    ],
  });
  await writeSuiteResult(result, options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {});
  return result;
}

if (isMainThread && isMainModule(import.meta.url)) {
  await run({ quick: process.argv.includes('--quick') });
}
