/**
 * `deferred` suite: what Deferred's synchronous dispatch costs against native Promises and async functions.
 *
 * Five comparisons, each a ratio against a baseline measured in the same run: create + fire + 3 callbacks
 * (target: Deferred ≥ 1.0× the throughput of a Promise with 3 `then`s, since a Deferred pays no microtask hop);
 * a 1,000-handler chain; `inlineCallbacks` over 1,000 already-fired yields against an async function
 * awaiting 1,000 resolved values (target: at most 2× the async function's time, i.e. ratio ≥ 0.5); and the
 * Promise interop `then` serves: `Promise.all` over 1,000 pending Deferreds (and `gatherResults` over them) against
 * `Promise.all` over 1,000 pending Promises, and `await` of fired Deferreds against `await` of resolved Promises.
 * One sample is a batch of operations; event-loop delay is recorded beside throughput.
 *
 * Run: `npm run bench -- deferred [--quick]` or `node dist/bench/deferred.bench.js [--quick]`.
 *
 * @module
 */
// The Deferred modules themselves (compiled, as shipped), not the root index: this suite measures the Deferred
// family alone and must not depend on the reactor or the pools loading.
import { Deferred } from '../src/deferred/deferred.js';
import { gatherResults } from '../src/deferred/gather-results.js';
import { inlineCallbacks } from '../src/deferred/inline-callbacks.js';
import { succeed } from '../src/deferred/succeed.js';
import { isMainModule } from './lib/is-main-module.js';
import { measureComparison } from './lib/measure-comparison.js';
import type { Workload } from './lib/workload.js';
import type { SuiteResult } from './lib/suite-result.js';
import { writeSuiteResult } from './lib/write-suite-result.js';

/** Options of the suite (the runner passes these). */
export interface DeferredBenchOptions {
  /** Short budget. */
  quick?: boolean;
  /** Time budget per variant, ms. */
  timeMs?: number;
  /** Where to write `deferred.json`. */
  resultsDir?: string;
}

/** Keeps results observable so the JIT cannot drop the work. */
let sink = 0;

const inc = (n: number): number => n + 1;
const double = (n: number): number => n * 2;
const dec = (n: number): number => {
  sink += n;
  return n - 1;
};

/** `n` Deferreds, each created, given 3 callbacks and fired. */
function deferredThreeCallbacks(n: number): void {
  for (let i = 0; i < n; i++) {
    const d = new Deferred<number>();
    d.addCallback(inc).addCallback(double).addCallback(dec);
    d.callback(i);
  }
}

/** `n` Promises, each created, resolved and given 3 `then`s; settles when all chains ran. */
async function promiseThreeThens(n: number): Promise<void> {
  let last: Promise<number> = Promise.resolve(0);
  for (let i = 0; i < n; i++) {
    last = new Promise<number>((resolve) => resolve(i)).then(inc).then(double).then(dec);
  }
  await last; // FIFO microtasks: the last chain settles after every earlier one
}

function deferredLongChain(length: number): void {
  const d = new Deferred<number>();
  for (let i = 0; i < length; i++) d.addCallback(inc);
  d.callback(0);
  d.addCallback((r) => (sink += r));
}

async function promiseLongChain(length: number): Promise<void> {
  let p = Promise.resolve(0);
  for (let i = 0; i < length; i++) p = p.then(inc);
  sink += await p;
}

const yieldFired = inlineCallbacks(function* (count: number) {
  let total = 0;
  for (let i = 0; i < count; i++) total += (yield succeed(i)) as number;
  return total;
});

async function awaitResolved(count: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < count; i++) total += await Promise.resolve(i);
  return total;
}

/** An async function awaiting `count` Deferreds that already fired (`then`'s fast path: no link, one settled Promise). */
async function awaitFiredDeferreds(count: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < count; i++) total += await succeed(i);
  return total;
}

/** `Promise.all` over `n` Promises, resolved once `Promise.all` has subscribed to each. */
async function promiseAllPending(n: number): Promise<void> {
  const resolvers: Array<(value: number) => void> = [];
  const all = Promise.all(Array.from({ length: n }, () => new Promise<number>((resolve) => resolvers.push(resolve))));
  await Promise.resolve(); // the same hop the Deferred variant takes before it fires
  for (let i = 0; i < n; i++) resolvers[i]!(i);
  sink += (await all).length;
}

/**
 * `Promise.all` over `n` Deferreds fired once `Promise.all` has called each one's `then` (what a batch of
 * `deferToThread`s awaited together does): a link and two Promises per Deferred, besides `Promise.all`'s own.
 */
async function deferredAllPending(n: number): Promise<void> {
  const ds = Array.from({ length: n }, () => new Deferred<number>());
  const all = Promise.all(ds);
  await Promise.resolve(); // Promise.all calls each `then` from a microtask queued before this continuation
  for (let i = 0; i < n; i++) ds[i]!.callback(i);
  sink += (await all).length;
}

/** The same Deferreds joined with `gatherResults`: one Deferred for the batch, no Promise per member. */
function deferredGatherPending(n: number): void {
  const ds = Array.from({ length: n }, () => new Deferred<number>());
  const all = gatherResults(ds);
  for (let i = 0; i < n; i++) ds[i]!.callback(i);
  all.addCallback((values) => (sink += values.length));
}

/**
 * Runs the suite, prints its tables and writes `bench/results/deferred.json`.
 *
 * @param options - quick mode, time budget, results directory.
 * @returns the result.
 */
export async function run(options: DeferredBenchOptions = {}): Promise<SuiteResult> {
  const quick = options.quick ?? false;
  const batch = 1_000;
  const chains = 10;
  const runs = 5;
  const workloads: Workload[] = [
    {
      name: 'create + fire + 3 callbacks',
      description: `${batch.toLocaleString('en-US')} chains per sample: new, three handlers, fire; a Promise with three thens as the baseline.`,
      batch,
      baseline: 'Promise + 3 then',
      variants: [
        { name: 'Promise + 3 then', run: () => promiseThreeThens(batch) },
        { name: 'Deferred + 3 addCallback', run: () => deferredThreeCallbacks(batch) },
      ],
    },
    {
      name: '1,000-handler chain',
      description: `${chains} chains of 1,000 handlers each per sample (one operation = one whole chain).`,
      batch: chains,
      baseline: 'Promise (1,000 then)',
      variants: [
        { name: 'Promise (1,000 then)', run: () => Promise.all(Array.from({ length: chains }, () => promiseLongChain(1_000))) },
        {
          name: 'Deferred (1,000 addCallback)',
          run: () => {
            for (let i = 0; i < chains; i++) deferredLongChain(1_000);
          },
        },
      ],
    },
    {
      name: '1,000 already-fired yields',
      description: `${runs} runs per sample of a loop over 1,000 ready values: inlineCallbacks yielding succeed(i) vs an async function awaiting Promise.resolve(i).`,
      batch: runs,
      baseline: 'async function (await)',
      variants: [
        { name: 'async function (await)', run: () => Promise.all(Array.from({ length: runs }, () => awaitResolved(1_000))) },
        {
          name: 'inlineCallbacks (yield)',
          run: () => {
            for (let i = 0; i < runs; i++) yieldFired(1_000).addCallback((r) => (sink += r));
          },
        },
      ],
    },
    {
      name: 'Promise.all over 1,000 pending',
      description: `${batch.toLocaleString('en-US')} members per sample, fired after Promise.all subscribed to them; Promise.all over as many pending Promises as the baseline.`,
      batch,
      baseline: 'Promise.all (Promises)',
      variants: [
        { name: 'Promise.all (Promises)', run: () => promiseAllPending(batch) },
        { name: 'Promise.all (Deferreds)', run: () => deferredAllPending(batch) },
        { name: 'gatherResults (Deferreds)', run: () => deferredGatherPending(batch) },
      ],
    },
    {
      name: 'await 1,000 fired',
      description: `${runs} runs per sample of an async function awaiting 1,000 values: fired Deferreds (succeed(i)) vs Promise.resolve(i).`,
      batch: runs,
      baseline: 'await Promise.resolve(i)',
      variants: [
        { name: 'await Promise.resolve(i)', run: () => Promise.all(Array.from({ length: runs }, () => awaitResolved(1_000))) },
        { name: 'await succeed(i)', run: () => Promise.all(Array.from({ length: runs }, () => awaitFiredDeferreds(1_000))) },
      ],
    },
  ];
  const result = await measureComparison(workloads, {
    suite: 'deferred',
    title: 'Deferred: synchronous dispatch vs Promises',
    description:
      'Deferred chains fire synchronously, without a microtask hop per handler; these ratios show what that buys against native Promises and async functions.',
    quick,
    ...(options.timeMs !== undefined ? { timeMs: options.timeMs } : {}),
    notes: [
      'Targets: create + fire + 3 callbacks ≥ 1.0× the Promise baseline; inlineCallbacks at most 2× the async function’s time (ratio ≥ 0.5).',
      'A Promise sample ends when its last chain settled; microtasks run FIFO, so every chain of the batch has run by then.',
      'Promise.all over Deferreds: the engine wraps each Deferred in a Promise and calls its then, which adds a link and two Promises (one the link settles, one then returns); gatherResults joins the same Deferreds with none. No target: these rows show what the interop costs.',
      'await succeed(i): then on a Deferred that already fired with a plain value adds no link and starts from a fulfilled Promise.',
    ],
  });
  if (sink === Number.MIN_SAFE_INTEGER) console.log('unreachable', sink);
  await writeSuiteResult(result, options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {});
  return result;
}

if (isMainModule(import.meta.url)) {
  await run({ quick: process.argv.includes('--quick') });
}
