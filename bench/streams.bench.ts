/**
 * Streams benchmark (SPEC §9, issue 13): items per second streamed from a worker thread with `reactor.stream`
 * against the hand-written recipe users reach for without it (Piscina #91: a `MessagePort` passed to the task, the
 * task posting on it, no backpressure), and the cost of `progress()` per call in a hot loop.
 *
 * This one module is the suite, the module of the greenreactor tasks it streams (workers import it by URL), and
 * the raw Piscina baseline's worker (its default export). Variants run in interleaved rounds so the noise of a
 * shared machine hits each of them.
 *
 * @module
 */
import { isMainThread, MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { Reactor } from '../src/reactor/reactor.js';
import { defineTask } from '../src/task/task.js';
import { emit, progress } from '../src/worker/index.js';
import { isMainModule } from './lib/is-main-module.js';
import { loadAverageNote, loadAverageNow } from './lib/machine-info.js';
import { measureInterleaved } from './lib/measure-interleaved.js';
import { suiteResult, type ResultGroup, type SuiteResult } from './lib/suite-result.js';
import { writeSuiteResult } from './lib/write-suite-result.js';

// ---- the work ----

/** Emits `0 … n-1` (window 16, the default). */
export const emitN = defineTask(import.meta.url, 'emitN', (n: number): number => {
  for (let i = 0; i < n; i++) emit(i);
  return n;
}, { route: 'thread' });

/** Emits `0 … n-1` with a window of 256. */
export const emitNWide = defineTask(import.meta.url, 'emitNWide', (n: number): number => {
  for (let i = 0; i < n; i++) emit(i);
  return n;
}, { route: 'thread', streamWindow: 256 });

/** A hot loop of `n` steps of integer work, calling `progress(i)` in each step when `report` is set. */
export const hotLoop = defineTask(import.meta.url, 'hotLoop', (n: number, report: boolean): number => {
  let x = 1;
  if (report) {
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 31) + i) | 0;
      progress(i);
    }
  } else {
    for (let i = 0; i < n; i++) x = (Math.imul(x, 31) + i) | 0;
  }
  return x;
}, { route: 'thread' });

/**
 * The raw baseline's handler: posts `0 … n-1` on the port it was given (the Piscina #91 recipe). With `credit`, it
 * also keeps a hand-written credit window of `window` items, the way `reactor.stream` does (block in `Atomics.wait`
 * while `window` items are unread, resume once at most `window / 8` are): about the least a window of that size costs.
 * @param task - the port, the count, and optionally the shared read count and the window.
 * @returns `n`.
 */
export default function rawHandler(task: { port: MessagePort; n: number; credit?: SharedArrayBuffer; window?: number }): number {
  const { port, n, credit, window = 0 } = task;
  if (credit === undefined) {
    for (let i = 0; i < n; i++) port.postMessage(i);
  } else {
    const words = new Int32Array(credit); // [0] items read (main), [16] the read count a blocked emit waits for
    const keep = window >> 3;
    let seen = 0;
    for (let i = 0; i < n; i++) {
      while (i - seen >= window) {
        seen = Atomics.load(words, 0);
        if (i - seen < window) break;
        Atomics.store(words, 16, i - keep);
        Atomics.wait(words, 0, seen);
        Atomics.store(words, 16, 0);
      }
      port.postMessage(i);
    }
  }
  port.close();
  return n;
}

// ---- measurement ----

/**
 * Runs the raw recipe once: `n` items on a port, counted in a `'message'` listener as they arrive (also those
 * arriving after the result) — how a user of the recipe reads them. With `window`, each item read is also counted
 * in shared memory and a blocked worker is woken once, when the count reaches the one it waits for.
 */
async function rawStream(raw: Piscina, n: number, window = 0): Promise<void> {
  const { port1, port2 } = new MessageChannel();
  let count = 0;
  let allIn: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => {
    allIn = resolve;
  });
  const credit = window > 0 ? new SharedArrayBuffer(128) : undefined;
  const words = credit === undefined ? undefined : new Int32Array(credit);
  port1.on('message', () => {
    if (words !== undefined) {
      const read = Atomics.add(words, 0, 1) + 1;
      const want = Atomics.load(words, 16);
      if (want !== 0 && read >= want && Atomics.compareExchange(words, 16, want, 0) === want) Atomics.notify(words, 0);
    }
    if (++count === n) allIn();
  });
  await raw.run(credit === undefined ? { port: port2, n } : { port: port2, n, credit, window }, { transferList: [port2] });
  await arrived;
  port1.close();
}

async function ourStream(reactor: Reactor, task: typeof emitN, n: number): Promise<void> {
  const s = reactor.stream(task, n);
  let count = 0;
  for await (const _ of s) count++;
  await s.result;
  if (count !== n) throw new Error(`expected ${n} items, got ${count}`);
}

/** Options of {@link run}. */
export interface StreamsBenchOptions {
  /** Smaller workloads and fewer rounds. */
  quick?: boolean;
  /** Where to write `streams.json`. */
  resultsDir?: string;
}

/**
 * Runs the suite, prints the tables and writes `bench/results/streams.json`.
 * @param options - `quick` for a short run.
 * @returns the result.
 */
export async function run(options: StreamsBenchOptions = {}): Promise<SuiteResult> {
  const quick = options.quick ?? false;
  const log = (line: string): void => console.log(line);
  const started = performance.now();
  const loadBefore = loadAverageNow();
  const raw = new Piscina({ filename: import.meta.url, minThreads: 1, maxThreads: 1, idleTimeout: 1000 });
  const reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1, idleTimeoutMs: 1000 } } });
  const groups: ResultGroup[] = [];
  const n = quick ? 5_000 : 20_000;
  const loop = quick ? 200_000 : 1_000_000;
  const rounds = quick ? 2 : 5;
  try {
    groups.push(
      await measureInterleaved(
        'streams',
        {
          name: `${n.toLocaleString('en-US')} items from one thread task`,
          description: `One task emits ${n.toLocaleString('en-US')} small integers; the caller reads them all (items/s). The baseline posts them on a MessagePort it was handed and the caller counts them in a 'message' listener (no backpressure; it waits for every item, also those arriving after the result); '+ window' rows add a hand-written credit window built like reactor.stream's; reactor.stream is read with for await, then its result awaited.`,
          batch: n,
          baseline: 'MessagePort loop',
          variants: [
            { name: 'MessagePort loop', run: () => rawStream(raw, n) },
            { name: 'MessagePort loop + window 16', run: () => rawStream(raw, n, 16) },
            { name: 'reactor.stream (window 16)', run: () => ourStream(reactor, emitN, n) },
            { name: 'MessagePort loop + window 256', run: () => rawStream(raw, n, 256) },
            { name: 'reactor.stream (window 256)', run: () => ourStream(reactor, emitNWide, n) },
          ],
        },
        { rounds, timeMs: quick ? 200 : 500, iterations: 3 },
        log,
      ),
    );
    groups.push(
      await measureInterleaved(
        'streams',
        {
          name: `hot loop of ${loop.toLocaleString('en-US')} steps`,
          description: `A streamed thread task runs ${loop.toLocaleString('en-US')} steps of integer work, without and with a progress() call per step (ops/s = steps/s).`,
          batch: loop,
          baseline: 'no progress()',
          variants: [
            { name: 'no progress()', run: () => reactor.stream(hotLoop, loop, false).result.asPromise() },
            { name: 'progress() every step', run: () => reactor.stream(hotLoop, loop, true).result.asPromise() },
          ],
        },
        { rounds, timeMs: quick ? 200 : 500, iterations: 3 },
        log,
      ),
    );
  } finally {
    await Promise.all([reactor.stop(), raw.destroy()]);
  }
  const loopGroup = groups[1]!;
  const [without, withProgress] = loopGroup.rows;
  const perCallNs = without !== undefined && withProgress !== undefined ? ((withProgress.medianMs - without.medianMs) * 1e6) / loop : 0;
  const result = suiteResult({
    suite: 'streams',
    title: 'Streams: reactor.stream vs a hand-written MessagePort loop',
    description:
      'Items per second streamed from a worker thread with backpressure (credit window in shared memory, result held until every item arrived), against the Piscina #91 recipe in the same run; and what progress() costs per call in a hot loop.',
    quick,
    groups,
    notes: [
      'Variants run in interleaved rounds so machine noise hits each; one worker thread per pool.',
      `progress() costs about ${perCallNs.toFixed(1)} ns per call here (median difference of the hot-loop rows over ${loop.toLocaleString('en-US')} calls).`,
      `${loadAverageNote(loadBefore)}.`,
    ],
  }, started);
  await writeSuiteResult(result, options.resultsDir === undefined ? {} : { resultsDir: options.resultsDir });
  return result;
}

if (isMainThread && isMainModule(import.meta.url)) {
  await run({ quick: process.argv.includes('--quick') });
}
