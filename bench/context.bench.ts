/**
 * Context bench (issue 13): what carrying context and deadlines across the thread boundary costs a dispatch.
 *
 * Ratios against a thread no-op dispatched with no context carrier registered, in interleaved rounds of the same
 * run (so a burst of load spoils one short round of one variant, not a whole variant): the same again as an A/A
 * control (its ratio is this run's noise floor: read the others against it, not against 1.00×), two carriers
 * registered and carried (an `AsyncLocalStorage` request id and a small object), the same two registered but not
 * carried (policy `context.carry: []`), and dispatch inside `withDeadline` with no carrier (a deadline travels and
 * the worker checks it). Carriers are registered on the main thread only while a variant that needs them runs
 * (each sample registers or removes them first: a few map operations against a batch of thread round trips), so
 * the baseline really runs with none. This module is also the task module the workers import: there it registers
 * the carriers at once, as a user's task module would.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { isMainThread } from 'node:worker_threads';
import { defineContextCarrier, removeContextCarrier } from '../src/context/context-carrier.js';
import { runWithDeadline } from '../src/context/deadline-scope.js';
import { defineTask } from '../src/task/task.js';
import { ThreadPool } from '../src/threads/thread-pool.js';
import { realTimeScheduler } from '../src/time/real-time-scheduler.js';
import { isMainModule } from './lib/is-main-module.js';
import { loadAverageNote, loadAverageNow } from './lib/machine-info.js';
import { measureInterleaved } from './lib/measure-interleaved.js';
import { suiteResult, type SuiteResult } from './lib/suite-result.js';
import { writeSuiteResult } from './lib/write-suite-result.js';

const requestId = new AsyncLocalStorage<string>();
const tenant = new AsyncLocalStorage<{ id: number; region: string }>();
const carrierSpecs = {
  'bench.requestId': { capture: () => requestId.getStore(), restore: (id: string, run: () => unknown) => requestId.run(id, run) },
  'bench.tenant': { capture: () => tenant.getStore(), restore: (t: { id: number; region: string }, run: () => unknown) => tenant.run(t, run) },
};

/** Registers the two carriers on this thread (again: the same specs are accepted). */
function registerCarriers(): void {
  defineContextCarrier('bench.requestId', carrierSpecs['bench.requestId']);
  defineContextCarrier('bench.tenant', carrierSpecs['bench.tenant']);
}

/** Removes them from this thread's registry. */
function removeCarriers(): void {
  for (const name of Object.keys(carrierSpecs)) removeContextCarrier(name);
}
if (!isMainThread) registerCarriers();

/** The task: nothing, so the dispatch is all that is measured. */
export const contextNoop = defineTask(import.meta.url, 'contextNoop', (): undefined => undefined);

/** Options of the suite (the runner passes these). */
export interface ContextBenchOptions {
  /** Short budget. */
  quick?: boolean;
  /** Time budget per variant and round, ms. */
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
  const quick = options.quick ?? false;
  const log = (line: string): void => console.log(line);
  const started = performance.now();
  const loadBefore = loadAverageNow();
  const batch = 1_000;
  const poolOptions = { minThreads: 2, maxThreads: 2, idleTimeoutMs: 1000 };
  // Each variant that carries has pools of its own: a carrier's restore (here AsyncLocalStorage.run) turns on async
  // context tracking in the workers that run it, which then makes every promise there dearer for good — a cost of
  // the carrier, which must not leak into the baseline's workers.
  const plain = new ThreadPool(poolOptions);
  const carrying = new ThreadPool(poolOptions);
  const carryNone = new Set<string>();
  const notCarrying = new ThreadPool(poolOptions, { carry: () => carryNone });
  const pools = [plain, carrying, notCarrying];
  const inRequest = (i: number, dispatch: () => PromiseLike<unknown>): PromiseLike<unknown> =>
    requestId.run(`request-${i}`, () => tenant.run({ id: i, region: 'eu' }, dispatch));
  let i = 0;
  /** Each variant as: set the registry up, then start one call (inside a request). */
  const starters: Record<string, { prepare: () => void; start: () => PromiseLike<unknown> }> = {
    'no carrier registered': { prepare: removeCarriers, start: () => inRequest(i++, () => plain.run(contextNoop)) },
    'two carriers carried': { prepare: registerCarriers, start: () => inRequest(i++, () => carrying.run(contextNoop)) },
    'two registered, none carried': { prepare: registerCarriers, start: () => inRequest(i++, () => notCarrying.run(contextNoop)) },
    'inside withDeadline': {
      prepare: removeCarriers,
      start: () => inRequest(i++, () => runWithDeadline(realTimeScheduler, 60_000, () => plain.run(contextNoop))),
    },
  };
  const sample = (name: string): Promise<unknown[]> => {
    const { prepare, start } = starters[name]!;
    prepare();
    return inFlight(batch, start);
  };
  let result: SuiteResult;
  try {
    removeCarriers();
    await Promise.all(pools.map((p) => p.run(contextNoop))); // start the workers
    const group = await measureInterleaved(
      'context',
      {
        name: `thread no-op, ${batch.toLocaleString('en-US')} in flight`,
        description: `${batch.toLocaleString('en-US')} no-op thread tasks dispatched inside a request (two AsyncLocalStorage stores), then awaited; 2 threads; interleaved rounds.`,
        batch,
        baseline: 'no carrier registered',
        variants: [
          ...Object.keys(starters).map((name) => ({ name, run: () => sample(name) })),
          // An A/A control: the baseline again, last in each round; its ratio is the noise floor of this run.
          { name: 'no carrier registered, again', run: () => sample('no carrier registered') },
        ],
      },
      { rounds: quick ? 3 : 8, timeMs: options.timeMs ?? (quick ? 150 : 400), iterations: 3 },
      log,
    );
    const aa = group.rows.at(-1)?.ratio ?? 0;
    // The part of the cost that does not drift with the load: the main thread's time to hand `batch` calls to the
    // pool (dispatch returns once each call is queued or sent), variants alternating in a rotating order, then
    // awaited. The difference per call is what a carrier or a deadline adds on the dispatching side.
    const names = Object.keys(starters);
    const handOff = new Map<string, number[]>(names.map((name) => [name, []]));
    for (let round = 0; round < (quick ? 40 : 160); round++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(round + k) % names.length]!;
        const { prepare, start } = starters[name]!;
        prepare();
        const calls = new Array<PromiseLike<unknown>>(batch);
        const t0 = performance.now();
        for (let j = 0; j < batch; j++) calls[j] = start();
        handOff.get(name)!.push(((performance.now() - t0) * 1e6) / batch);
        await Promise.all(calls);
      }
    }
    const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;
    const base = med(handOff.get(names[0]!)!);
    const handOffNote = `Handing a call to the pool (main thread, median of ${handOff.get(names[0]!)!.length} batches of ${batch}, rotating order): ${names
      .map((name) => `${name} ${Math.round(med(handOff.get(name)!))} ns`)
      .join(', ')}; so two carried carriers add ${Math.round(med(handOff.get(names[1]!)!) - base)} ns a call there and withDeadline ${Math.round(med(handOff.get(names[3]!)!) - base)} ns.`;
    log(`  [context] ${handOffNote}`);
    result = suiteResult({
      suite: 'context',
      title: 'Context carriers and deadlines',
      description:
        'What carrying request context (SPEC §10 carriers) and deadlines across the thread boundary costs a dispatch, against a dispatch with no carrier registered, in interleaved rounds of the same run with an A/A control.',
      quick,
      groups: [group],
      notes: [
        `Variants run in interleaved rounds; 'no carrier registered, again' is an A/A control (${aa.toFixed(2)}× here): read the other ratios against it, not against 1.00×.`,
        handOffNote,
        `${loadAverageNote(loadBefore)}.`,
      ],
    }, started);
  } finally {
    removeCarriers();
    await Promise.all(pools.map((p) => p.close()));
  }
  await writeSuiteResult(result, options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {});
  return result;
}

if (isMainModule(import.meta.url)) {
  await run({ quick: process.argv.includes('--quick') });
}
