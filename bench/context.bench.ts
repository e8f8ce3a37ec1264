/**
 * Context bench (issue 13): what carrying context and deadlines across the thread boundary costs a dispatch.
 *
 * Ratios against a thread no-op dispatched with no context carrier registered at all, measured first in the same
 * run: then two carriers registered and carried (an `AsyncLocalStorage` request id and a small object), the same
 * two registered but not carried (policy `context.carry: []`), and dispatch inside `withDeadline` (a deadline
 * travels and the worker checks it). This module is also the task module the workers import: in a worker it
 * registers the carriers at once (as a user's task module would); on the main thread only once the variant that
 * needs them starts, so the first variant really runs with none registered.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { isMainThread } from 'node:worker_threads';
import { defineContextCarrier } from '../src/context/context-carrier.js';
import { runWithDeadline } from '../src/context/deadline-scope.js';
import { defineTask } from '../src/task/task.js';
import { ThreadPool } from '../src/threads/thread-pool.js';
import { realTimeScheduler } from '../src/time/real-time-scheduler.js';
import { isMainModule } from './lib/is-main-module.js';
import { measureComparison, type Workload } from './lib/measure-comparison.js';
import type { SuiteResult } from './lib/suite-result.js';
import { writeSuiteResult } from './lib/write-suite-result.js';

const requestId = new AsyncLocalStorage<string>();
const tenant = new AsyncLocalStorage<{ id: number; region: string }>();

/** Registers the two carriers (once per thread). */
function registerCarriers(): void {
  defineContextCarrier('bench.requestId', { capture: () => requestId.getStore(), restore: (id, run) => requestId.run(id, run) });
  defineContextCarrier('bench.tenant', { capture: () => tenant.getStore(), restore: (t, run) => tenant.run(t, run) });
}
if (!isMainThread) registerCarriers();

/** The task: nothing, so the dispatch is all that is measured. */
export const contextNoop = defineTask(import.meta.url, 'contextNoop', (): undefined => undefined);

/** Options of the suite (the runner passes these). */
export interface ContextBenchOptions {
  /** Short budget. */
  quick?: boolean;
  /** Time budget per variant, ms. */
  timeMs?: number;
  /** Where to write `context.json`. */
  resultsDir?: string;
}

function inFlight(n: number, start: () => PromiseLike<unknown>): Promise<unknown[]> {
  const all = new Array<PromiseLike<unknown>>(n);
  for (let i = 0; i < n; i++) all[i] = start();
  return Promise.all(all);
}

/**
 * Runs the suite, prints its table and writes `bench/results/context.json`.
 * @param options - quick mode, time budget, results directory.
 * @returns the result.
 */
export async function run(options: ContextBenchOptions = {}): Promise<SuiteResult> {
  const batch = 1_000;
  const poolOptions = { minThreads: 2, maxThreads: 2, idleTimeoutMs: 1000 };
  const plain = new ThreadPool(poolOptions);
  const carrying = new ThreadPool(poolOptions);
  const carryNone = new Set<string>();
  const notCarrying = new ThreadPool(poolOptions, { carry: () => carryNone });
  const pools = [plain, carrying, notCarrying];
  const inRequest = (i: number, dispatch: () => PromiseLike<unknown>): PromiseLike<unknown> =>
    requestId.run(`request-${i}`, () => tenant.run({ id: i, region: 'eu' }, dispatch));
  let i = 0;
  const workloads: Workload[] = [
    {
      name: `thread no-op, ${batch.toLocaleString('en-US')} in flight`,
      description: `${batch.toLocaleString('en-US')} no-op thread tasks dispatched inside a request (two AsyncLocalStorage stores), then awaited; 2 threads.`,
      batch,
      baseline: 'no carrier registered',
      variants: [
        {
          name: 'no carrier registered',
          setup: () => plain.run(contextNoop),
          run: () => inFlight(batch, () => inRequest(i++, () => plain.run(contextNoop))),
        },
        {
          name: 'two carriers carried',
          setup: () => {
            registerCarriers();
            return carrying.run(contextNoop);
          },
          run: () => inFlight(batch, () => inRequest(i++, () => carrying.run(contextNoop))),
        },
        {
          name: 'two registered, none carried',
          setup: () => notCarrying.run(contextNoop),
          run: () => inFlight(batch, () => inRequest(i++, () => notCarrying.run(contextNoop))),
        },
        {
          name: 'inside withDeadline',
          run: () => inFlight(batch, () => runWithDeadline(realTimeScheduler, 60_000, () => notCarrying.run(contextNoop))),
        },
      ],
    },
  ];
  let result: SuiteResult;
  try {
    result = await measureComparison(workloads, {
      suite: 'context',
      title: 'Context carriers and deadlines',
      description: 'What carrying request context (SPEC §10 carriers) and deadlines across the thread boundary costs a dispatch, against a dispatch with no carrier registered, same run.',
      quick: options.quick ?? false,
      ...(options.timeMs === undefined ? {} : { timeMs: options.timeMs }),
      notes: ['Variants run one after another (the first must run before any carrier is registered), so a burst of load spoils one variant, not all: compare reruns.'],
    });
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
  await writeSuiteResult(result, options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {});
  return result;
}

if (isMainModule(import.meta.url)) {
  await run({ quick: process.argv.includes('--quick') });
}
