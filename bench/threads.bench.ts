/**
 * Thread path benchmark: greenreactor's `deferToThread` against raw Piscina with the same options, same run.
 *
 * This one module is three things: the suite (run on the main thread), the module of the greenreactor tasks it
 * dispatches (workers import it by URL), and the raw Piscina baseline's worker (its default export). Variants are
 * measured in interleaved rounds (baseline, greenreactor, baseline, …) so the noise of a shared machine hits both.
 *
 * @module
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';
import { Piscina, move } from 'piscina';
import type { Deferred } from '../src/deferred/deferred.js';
import { gatherResults } from '../src/deferred/gather-results.js';
import { defineTask } from '../src/task/task.js';
import { ThreadPool } from '../src/threads/thread-pool.js';
import type { ThreadPoolOptions } from '../src/threads/thread-pool-options.js';
import { transferResult } from '../src/worker/index.js';
import { isMainModule } from './lib/is-main-module.js';
import { loadAverageNote, loadAverageNow } from './lib/machine-info.js';
import { summariseLoopDelay } from './lib/loop-delay-recorder.js';
import { measureAlternating } from './lib/measure-alternating.js';
import { measureInterleaved } from './lib/measure-interleaved.js';
import { measureSustained, type SustainedExtras } from './lib/measure-sustained.js';
import { resultGroup, type MeasuredRow } from './lib/result-group.js';
import { percentile } from './lib/sample-stats.js';
import { suiteResult, type ResultGroup, type SuiteResult } from './lib/suite-result.js';
import type { Variant } from './lib/workload.js';
import { writeSuiteResult } from './lib/write-suite-result.js';

// ---- the work (shared by inline, raw Piscina and greenreactor) ----

/** Plain recursive Fibonacci: pure CPU. */
export function fibonacci(n: number): number {
  return n < 2 ? n : fibonacci(n - 1) + fibonacci(n - 2);
}

export const noop = defineTask(import.meta.url, 'noop', (): undefined => undefined);
export const fib = defineTask(import.meta.url, 'fib', fibonacci);
export const echoMoved = defineTask(import.meta.url, 'echoMoved', (buffer: ArrayBuffer): ArrayBuffer => transferResult(buffer), {
  transfer: (buffer: ArrayBuffer) => [buffer],
});
export const echoCopied = defineTask(import.meta.url, 'echoCopied', (buffer: ArrayBuffer): ArrayBuffer => buffer);

const idle = new Int32Array(new SharedArrayBuffer(4));

/** Blocks its worker for `ms` (a call of known length); returns when it started (ms since the epoch). */
function sleepFor(ms: number): number {
  const started = performance.timeOrigin + performance.now();
  Atomics.wait(idle, 0, 0, ms);
  return started;
}

export const sleepTask = defineTask(import.meta.url, 'sleepTask', sleepFor);

/** A raw Piscina task for the baseline worker. */
export type RawTask =
  | { op: 'noop' }
  | { op: 'fib'; n: number }
  | { op: 'sleep'; ms: number }
  | { op: 'echoMoved' | 'echoCopied'; buffer: ArrayBuffer };

/**
 * The raw Piscina baseline's handler (this module is also its worker file).
 * @param task - the operation.
 * @returns its result.
 */
export default function rawHandler(task: RawTask): unknown {
  if (task.op === 'noop') return undefined;
  if (task.op === 'fib') return fibonacci(task.n);
  if (task.op === 'sleep') return sleepFor(task.ms);
  return task.op === 'echoMoved' ? move(task.buffer) : task.buffer;
}

// ---- measurement ----

/** The sequential row's A/A control: raw Piscina again, a second pool. */
const sequentialControl = 'raw Piscina, again';

function inFlight(n: number, start: () => PromiseLike<unknown>): Promise<unknown[]> {
  const all: Array<PromiseLike<unknown>> = new Array<PromiseLike<unknown>>(n);
  for (let i = 0; i < n; i++) all[i] = start();
  return Promise.all(all);
}

/** Each sample's first event-loop turn in a many-in-flight row: the synchronous dispatch loop, then the rest of that turn. */
interface FirstTurns {
  readonly loopMs: number[];
  readonly restMs: number[];
}

/**
 * {@link inFlight}, timing the sample's first event-loop turn: the synchronous loop of `n` dispatches, and what runs
 * after it before the loop turns (the awaiting's own start, the first replies, the pool's first sends). That turn is
 * the longest stall of the row: its loop-delay p99 column, where few samples are taken, is that stall.
 * @param n - calls in flight.
 * @param start - dispatches one call.
 * @param turns - where the sample's times go.
 * @param wait - awaits the calls (default `Promise.all`).
 * @returns when every call settled.
 */
function inFlightTimed(
  n: number,
  start: () => PromiseLike<unknown>,
  turns: FirstTurns,
  wait: (all: Array<PromiseLike<unknown>>) => Promise<unknown> = (all) => Promise.all(all),
): Promise<unknown> {
  const all: Array<PromiseLike<unknown>> = new Array<PromiseLike<unknown>>(n);
  const begun = performance.now();
  for (let i = 0; i < n; i++) all[i] = start();
  const looped = performance.now();
  setImmediate(() => {
    turns.loopMs.push(looped - begun);
    turns.restMs.push(performance.now() - looped);
  });
  return wait(all);
}

/**
 * The many-in-flight row's first turns (see {@link inFlightTimed}), medians per variant, as a note.
 * @param rowName - the row.
 * @param turns - each variant's first turns.
 * @returns the note.
 */
function firstTurnNote(rowName: string, turns: ReadonlyMap<string, FirstTurns>): string {
  // The first sample of each variant is its warm-up run (JIT, a cold heap): left out when there are others.
  const timed = (xs: readonly number[]): readonly number[] => (xs.length > 1 ? xs.slice(1) : xs);
  const median = (xs: readonly number[]): number => [...timed(xs)].sort((a, b) => a - b)[timed(xs).length >> 1] ?? Number.NaN;
  const stall = (t: FirstTurns): number => median(t.loopMs.map((loop, i) => loop + (t.restMs[i] ?? Number.NaN)));
  const raw = turns.get('raw Piscina');
  if (raw === undefined || raw.loopMs.length === 0) return `${rowName}: no first turns recorded.`;
  const rawStall = stall(raw);
  const parts = [...turns].map(
    ([name, t]) =>
      `${name} ${stall(t).toFixed(1)} ms (${(stall(t) / rawStall).toFixed(2)}×; loop ${median(t.loopMs).toFixed(1)} ms, rest of the turn ${median(t.restMs).toFixed(1)} ms)`,
  );
  return (
    `${rowName}: with few samples per variant, its loop-delay p99 is its first turn's stall — the synchronous loop of ` +
    `dispatches plus the rest of that event-loop turn (the awaiting's start, the first replies and sends). Medians of ` +
    `that stall per sample (the warm-up sample left out), ratio to raw Piscina's: ${parts.join('; ')}. "awaited by gatherResults" waits for the Deferreds ` +
    "with gatherResults (a callback on each) instead of Promise.all: the difference is Promise.all adopting each Deferred as a thenable."
  );
}

/**
 * One 50 ms call among 1 ms calls, all dispatched at once (so they queue and, with coalescing, share batches): for
 * each 1 ms call, how long after it started its result reached the main thread, less its 1 ms run.
 */
async function heldResults(
  name: string,
  rounds: number,
  start: (ms: number) => PromiseLike<unknown>,
): Promise<MeasuredRow> {
  const quick = 40;
  const extra: number[] = [];
  const resolutionMs = 2;
  const delay = monitorEventLoopDelay({ resolution: resolutionMs });
  delay.enable();
  for (let r = 0; r < rounds; r++) {
    const calls: Array<PromiseLike<unknown>> = [];
    for (let i = 0; i < quick; i++) {
      if (i === 5) calls.push(start(50));
      calls.push(
        start(1).then((started) => {
          extra.push(performance.timeOrigin + performance.now() - (started as number) - 1);
        }),
      );
    }
    await Promise.all(calls);
  }
  delay.disable();
  extra.sort((a, b) => a - b);
  const at = (p: number): number => percentile(extra, p);
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    name,
    // Higher is better, as for throughput: 1000 / the p99 of the time a result waited beyond its run.
    opsPerSec: at(99) > 0 ? round(1000 / at(99)) : 0,
    medianMs: round(at(50)),
    p99Ms: round(at(99)),
    batch: quick,
    loopDelay: summariseLoopDelay(delay, resolutionMs),
    samplesMs: extra.slice(0, 500).map(round),
  };
}

/** Options of {@link run}. */
export interface ThreadsBenchOptions {
  /** Smaller workloads and fewer rounds (CI smoke run). */
  quick?: boolean;
  /** Where to write `threads.json`. */
  resultsDir?: string;
}

/**
 * Runs the suite, prints the tables and writes `bench/results/threads.json`.
 * @param options - `quick` for a short run.
 * @returns the result.
 */
export async function run(options: ThreadsBenchOptions = {}): Promise<SuiteResult> {
  const quick = options.quick ?? false;
  const log = (line: string): void => console.log(line);
  const started = performance.now();
  const loadBefore = loadAverageNow();
  const file = import.meta.url;
  const poolOptions: ThreadPoolOptions = { minThreads: 2, maxThreads: 2, idleTimeoutMs: 1000 };
  const raw = new Piscina({ filename: file, minThreads: 2, maxThreads: 2, idleTimeout: 1000 });
  // The sequential row's A/A control: a second pool like `raw`.
  const rawAgain = new Piscina({ filename: file, minThreads: 2, maxThreads: 2, idleTimeout: 1000 });
  const pool = new ThreadPool(poolOptions);
  const poolWithoutSite = new ThreadPool({ ...poolOptions, captureDispatchSite: false });
  const poolOneByOne = new ThreadPool({ ...poolOptions, coalesce: false });
  const rounds = quick ? 2 : 4;
  // Short rounds, many of them, for the small-task workloads: a burst of load from another process then spoils
  // one short round of one variant, not a long one.
  const manyRounds = quick ? 3 : 10;
  /** The four ways of keeping `n` no-op tasks in flight, as the batch rows compare them. */
  const noopsInFlight = (n: number): Variant[] => [
    { name: 'raw Piscina', run: () => inFlight(n, () => raw.run({ op: 'noop' } satisfies RawTask)) },
    { name: 'deferToThread', run: () => inFlight(n, () => pool.run(noop)) },
    { name: 'deferToThread, coalesce off', run: () => inFlight(n, () => poolOneByOne.run(noop)) },
    { name: 'deferToThread, no dispatch site', run: () => inFlight(n, () => poolWithoutSite.run(noop)) },
  ];
  const groups: ResultGroup[] = [];
  let loopDelayNote = '';
  let manyTurnsNote = '';
  try {
    await Promise.all([raw.run({ op: 'noop' } satisfies RawTask), rawAgain.run({ op: 'noop' } satisfies RawTask), pool.run(noop), poolWithoutSite.run(noop), poolOneByOne.run(noop)]);
    const manyInFlight = quick ? 10_000 : 50_000;
    const manyRow = `no-op, ${manyInFlight.toLocaleString('en-US')} in flight`;
    const firstTurns = new Map<string, FirstTurns>();
    const turnsOf = (name: string): FirstTurns => {
      let turns = firstTurns.get(name);
      if (turns === undefined) firstTurns.set(name, (turns = { loopMs: [], restMs: [] }));
      return turns;
    };
    groups.push(
      await measureInterleaved(
        'threads',
        {
          name: manyRow,
          description:
            `${manyInFlight.toLocaleString('en-US')} no-op tasks dispatched at once, then awaited (Promise.all; "awaited by ` +
            'gatherResults": the Deferred combinator); 2 threads.',
          batch: manyInFlight,
          baseline: 'raw Piscina',
          variants: [
            { name: 'raw Piscina', run: () => inFlightTimed(manyInFlight, () => raw.run({ op: 'noop' } satisfies RawTask), turnsOf('raw Piscina')) },
            { name: 'deferToThread', run: () => inFlightTimed(manyInFlight, () => pool.run(noop), turnsOf('deferToThread')) },
            {
              name: 'deferToThread, awaited by gatherResults',
              run: () =>
                inFlightTimed(manyInFlight, () => pool.run(noop), turnsOf('deferToThread, awaited by gatherResults'), (all) =>
                  gatherResults(all as Array<Deferred<unknown>>).asPromise(),
                ),
            },
            {
              name: 'deferToThread, coalesce off',
              run: () => inFlightTimed(manyInFlight, () => poolOneByOne.run(noop), turnsOf('deferToThread, coalesce off')),
            },
          ],
        },
        { rounds: quick ? 1 : 3, timeMs: 1, iterations: 1 },
        log,
      ),
    );
    manyTurnsNote = firstTurnNote(manyRow, firstTurns);
    log(`  [threads] ${manyTurnsNote}`);
    groups.push(
      await measureInterleaved(
        'threads',
        {
          name: 'no-op, batches of 1,000',
          description: '1,000 no-op tasks in flight per sample; 2 threads.',
          batch: 1000,
          baseline: 'raw Piscina',
          variants: noopsInFlight(1000),
        },
        { rounds: manyRounds, timeMs: quick ? 100 : 250, iterations: 5 },
        log,
      ),
    );
    {
      // One call's latency is tens of µs: variants alternate call by call (a burst of load lands on all alike),
      // and a second raw Piscina pool, measured the same way, is the A/A control — its ratio is this run's noise.
      const group = await measureAlternating(
        'threads',
        {
          name: 'sequential round trip',
          description:
            'One no-op task at a time, awaited before the next (latency; ops/s = 1 / median). The variants alternate call ' +
            `by call in a shuffled order; "${sequentialControl}" is a second raw Piscina pool measured the same way, an ` +
            'A/A control: its ratio is the noise floor of this run.',
          baseline: 'raw Piscina',
          variants: [
            { name: 'raw Piscina', run: () => raw.run({ op: 'noop' } satisfies RawTask) },
            { name: 'deferToThread', run: () => pool.run(noop) },
            { name: 'deferToThread, coalesce off', run: () => poolOneByOne.run(noop) },
            { name: 'deferToThread, no dispatch site', run: () => poolWithoutSite.run(noop) },
            { name: sequentialControl, run: () => rawAgain.run({ op: 'noop' } satisfies RawTask) },
          ],
        },
        { warmup: quick ? 500 : 2000, samples: quick ? 2000 : 10_000 },
        log,
      );
      const ratioOf = (name: string): string => (group.rows.find((r) => r.name === name)?.ratio ?? 0).toFixed(2);
      log(`  [threads] sequential round trip: deferToThread ${ratioOf('deferToThread')}× raw Piscina's ops/s (A/A control ${ratioOf(sequentialControl)}×)`);
      groups.push(group);
    }
    const loopDelayGroup = await measureInterleaved(
        'threads',
        {
          name: 'event-loop delay, 10,000 no-ops in flight',
          description:
            '10,000 no-op tasks dispatched at once, then awaited; 2 threads. The loop delay p99 column is the figure that ' +
            "matters (goal: at most 1.2× raw Piscina's): the dispatch itself, and settling the results, must not hold the loop.",
          batch: 10_000,
          baseline: 'raw Piscina',
          variants: noopsInFlight(10_000),
        },
        { rounds: quick ? 2 : 6, timeMs: 1, iterations: quick ? 2 : 3 },
        log,
      );
    groups.push(loopDelayGroup);
    {
      const held = await measureSustained(
        'threads',
        {
          name: 'event-loop delay, 10,000 no-ops held in flight',
          description:
            '10,000 no-op tasks kept in flight (each completion dispatches a replacement) for the same wall-time window ' +
            `per variant (${heldWindowMs(quick)} ms × ${heldRounds(quick)} rounds, alternating), 2 threads; the loop ` +
            "delay p99 over each window is the figure that matters (goal: at most 1.2× raw Piscina's); ops/s counts the " +
            'calls completed inside the windows.',
          inFlight: 10_000,
          baseline: 'raw Piscina',
          variants: [
            { name: 'raw Piscina', start: (done) => void raw.run({ op: 'noop' } satisfies RawTask).then(done) },
            { name: 'deferToThread', start: (done) => void pool.run(noop).addCallback(done) },
          ],
        },
        { rounds: heldRounds(quick), windowMs: heldWindowMs(quick) },
        log,
      );
      groups.push(held.group);
      loopDelayNote = loopDelaySampleNote(loopDelayGroup, held.group, held.extras);
    }
    {
      const heldRounds = quick ? 10 : 40;
      const rows = [
        await heldResults('raw Piscina', heldRounds, (ms) => raw.run({ op: 'sleep', ms } satisfies RawTask) as Promise<number>),
        await heldResults('deferToThread', heldRounds, (ms) => pool.run(sleepTask, ms)),
      ];
      for (const row of rows) log(`  [threads] one 50 ms call among 1 ms calls › ${row.name}: results waited p50 ${row.medianMs} ms, p99 ${row.p99Ms} ms beyond their run`);
      groups.push(
        resultGroup(
          'one 50 ms call among 1 ms calls',
          'Forty 1 ms calls and one 50 ms call dispatched at once on 2 threads (coalesced into batches): how long each 1 ms ' +
            "call's result waited beyond its run, p50/p99 in the ms columns (goal: p99 at most 2 × flushMs = 4 ms); " +
            'ops/s is 1000 / that p99, so the ratio is higher when results wait less.',
          'raw Piscina',
          rows,
        ),
      );
    }
    const fibs = 40;
    groups.push(
      await measureInterleaved(
        'threads',
        {
          name: `${fibs} × fib(30)`,
          description: `${fibs} fib(30) computations: inline on the main thread vs on 2 worker threads.`,
          batch: fibs,
          baseline: 'inline',
          variants: [
            { name: 'inline', run: () => { for (let i = 0; i < fibs; i++) fibonacci(30); } },
            { name: 'raw Piscina', run: () => inFlight(fibs, () => raw.run({ op: 'fib', n: 30 } satisfies RawTask)) },
            { name: 'deferToThread', run: () => inFlight(fibs, () => pool.run(fib, 30)) },
          ],
        },
        { rounds: quick ? 1 : 2, timeMs: 1, iterations: quick ? 1 : 3 },
        log,
      ),
    );
    const mib = 1024 * 1024;
    groups.push(
      await measureInterleaved(
        'threads',
        {
          name: '1 MiB ArrayBuffer round trip',
          description: 'A 1 MiB ArrayBuffer sent to a worker and back: structured clone both ways vs transfer (task `transfer` + transferResult).',
          batch: 1,
          baseline: 'clone',
          variants: [
            { name: 'clone', run: () => pool.run(echoCopied, new ArrayBuffer(mib)) },
            { name: 'transfer', run: () => pool.run(echoMoved, new ArrayBuffer(mib)) },
            {
              name: 'raw Piscina transfer',
              run: () => {
                const buffer = new ArrayBuffer(mib);
                return raw.run({ op: 'echoMoved', buffer } satisfies RawTask, { transferList: [buffer] });
              },
            },
          ],
        },
        { rounds: rounds, timeMs: quick ? 150 : 400, iterations: 20 },
        log,
      ),
    );
    const offloaded = quick ? 40 : 100; // ~20 ms each: ~2 s of CPU work
    groups.push(
      await measureInterleaved(
        'threads',
        {
          name: 'event-loop delay while offloading',
          description: `${offloaded} × fib(30) (about ${Math.round(offloaded * 0.02)} s of CPU): the loop delay p99 column is the figure that matters.`,
          batch: offloaded,
          baseline: 'raw Piscina',
          variants: [
            { name: 'raw Piscina', run: () => inFlight(offloaded, () => raw.run({ op: 'fib', n: 30 } satisfies RawTask)) },
            { name: 'deferToThread', run: () => inFlight(offloaded, () => pool.run(fib, 30)) },
            {
              name: 'inline',
              run: async () => {
                // The delay monitor needs one tick before the stall to measure it from, and one after.
                await new Promise((resolve) => setTimeout(resolve, 5));
                for (let i = 0; i < offloaded; i++) fibonacci(30);
                await new Promise((resolve) => setTimeout(resolve, 5));
              },
            },
          ],
        },
        { rounds: quick ? 1 : 2, timeMs: 1, iterations: 1 },
        log,
      ),
    );
  } finally {
    await Promise.all([pool.close(), poolWithoutSite.close(), poolOneByOne.close(), raw.destroy(), rawAgain.destroy()]);
  }
  const result = suiteResult({
    suite: 'threads',
    title: 'Thread path: deferToThread vs raw Piscina',
    description: 'greenreactor adds Deferreds, cancellation slots, error fidelity and per-task stats on top of Piscina; these ratios show what that costs, measured against raw Piscina with the same options in the same run.',
    quick,
    groups,
    notes: [
      'Variants run in interleaved rounds (baseline, greenreactor, …) so machine noise hits both; the sequential round trip alternates call by call, with an A/A control (a second raw Piscina pool).',
      'Both pools: minThreads 2, maxThreads 2, idleTimeout 1000 ms; greenreactor captures the dispatch site and coalesces calls that wait for a worker (both default); "coalesce off" sends each call in a message of its own, as raw Piscina does.',
      manyTurnsNote,
      loopDelayNote,
      `${loadAverageNote(loadBefore)}: other processes compete with the 2 workers, which flattens the CPU-bound (fib) speed-ups.`,
    ],
  }, started);
  await writeSuiteResult(result, options.resultsDir === undefined ? {} : { resultsDir: options.resultsDir });
  return result;
}

/** Rounds of the held-in-flight loop-delay row (each runs every variant for one window). */
function heldRounds(quick: boolean): number {
  return quick ? 2 : 6;
}

/** Each variant's window per round in the held-in-flight loop-delay row (ms). */
function heldWindowMs(quick: boolean): number {
  return quick ? 500 : 1000;
}

/**
 * Why there are two loop-delay rows for 10,000 no-ops. The first ("in flight") runs the same 10,000 calls to
 * completion in each variant, so each variant's histogram holds the samples its own run produced: deferToThread
 * finishes them several times sooner and has that many times fewer samples, so its p99 sits at its longest stall
 * while raw Piscina's lies below its longest ones. The second ("held in flight") keeps 10,000 calls in flight for
 * the same window in each variant, so the p99s are over comparable sample counts; the first is kept so that
 * nothing is hidden. The note gives the sample counts, longest stalls and dispatch bursts of both.
 */
function loopDelaySampleNote(group: ResultGroup, held: ResultGroup, extras: ReadonlyMap<string, SustainedExtras>): string {
  const row = (g: ResultGroup, name: string): ResultGroup['rows'][number] | undefined => g.rows.find((r) => r.name === name);
  const raw = row(group, 'raw Piscina');
  const ours = row(group, 'deferToThread');
  const heldRaw = row(held, 'raw Piscina');
  const heldOurs = row(held, 'deferToThread');
  if (raw?.loopDelay === undefined || ours?.loopDelay === undefined || heldRaw === undefined || heldOurs === undefined) {
    return 'event-loop delay, 10,000 in flight: no loop-delay samples recorded.';
  }
  const burst = (name: string): string => (extras.get(name)?.burstMaxMs ?? 0).toFixed(1);
  return (
    `event-loop delay, 10,000 no-ops: two rows. "in flight" runs the same 10,000 calls to completion per sample, so each p99 is over ` +
    `the samples of that variant's own run — raw Piscina ${raw.loopDelay.count}, deferToThread ${ours.loopDelay.count} (it finishes ` +
    `${(raw.medianMs / ours.medianMs).toFixed(1)}× sooner) — and deferToThread's p99 is close to its longest stall while raw Piscina's lies ` +
    `below its longest ones (longest stall: deferToThread ${ours.loopDelay.maxMs.toFixed(1)} ms, raw Piscina ${raw.loopDelay.maxMs.toFixed(1)} ms, ` +
    `${(ours.loopDelay.maxMs / raw.loopDelay.maxMs).toFixed(2)}×). "held in flight" keeps 10,000 calls in flight for the same window per ` +
    `variant, so both p99s are over comparable sample counts (raw Piscina ${heldRaw.loopDelay.count}, deferToThread ${heldOurs.loopDelay.count}): ` +
    `deferToThread's loop-delay p99 ${heldOurs.loopDelay.p99Ms.toFixed(2)} ms vs ${heldRaw.loopDelay.p99Ms.toFixed(2)} ms ` +
    `(${heldOurs.loopDelayRatio.toFixed(2)}×) while completing ${heldOurs.ratio.toFixed(1)}× the calls; longest stall ` +
    `${heldOurs.loopDelay.maxMs.toFixed(1)} vs ${heldRaw.loopDelay.maxMs.toFixed(1)} ms; the synchronous dispatch of the first 10,000 calls ` +
    `took at most ${burst('deferToThread')} ms vs ${burst('raw Piscina')} ms. The first row is kept beside it so nothing is hidden.`
  );
}

if (isMainThread && isMainModule(import.meta.url)) {
  await run({ quick: process.argv.includes('--quick') });
}
