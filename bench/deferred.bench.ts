/**
 * `deferred` suite: what Deferred's synchronous dispatch costs against native Promises and async functions.
 *
 * Three comparisons, each a ratio against a baseline measured in the same run: create + fire + 3 callbacks
 * (target: Deferred ≥ 1.0× the throughput of a Promise with 3 `then`s, since a Deferred pays no microtask hop);
 * a 1,000-handler chain; and `inlineCallbacks` over 1,000 already-fired yields against an async function
 * awaiting 1,000 resolved values (target: at most 2× the async function's time, i.e. ratio ≥ 0.5).
 * One sample is a batch of operations; event-loop delay is recorded beside throughput.
 *
 * Run: `npm run bench -- deferred [--quick]` or `node dist/bench/deferred.bench.js [--quick]`.
 *
 * @module
 */
// The Deferred modules themselves (compiled, as shipped), not the root index: this suite measures the Deferred
// family alone and must not depend on the reactor or the pools loading.
import { Deferred } from '../src/deferred/deferred.js';
import { inlineCallbacks } from '../src/deferred/inline-callbacks.js';
import { succeed } from '../src/deferred/succeed.js';
import { isMainModule } from './lib/is-main-module.js';
import { measureComparison, type Workload } from './lib/measure-comparison.js';
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
    ],
  });
  if (sink === Number.MIN_SAFE_INTEGER) console.log('unreachable', sink);
  await writeSuiteResult(result, options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {});
  return result;
}

if (isMainModule(import.meta.url)) {
  await run({ quick: process.argv.includes('--quick') });
}
