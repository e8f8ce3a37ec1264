/**
 * Helpers for thread-path tests: tasks that point at the built fixtures, shared-memory gates, settled results.
 *
 * Workers load JavaScript, so a fixture task (defined in test/fixtures/*.ts, whose `import.meta.url` is the .ts
 * file under Jest) is re-pointed at its compiled copy in dist/test/fixtures/ (run `npx tsc -p tsconfig.build.json`
 * first; `npm test` does).
 *
 * @module
 */
import { Deferred } from '../../src/deferred/deferred.js';
import { Failure } from '../../src/deferred/failure.js';
import { WorkerCrashedError } from '../../src/errors.js';
import { taskFrom, type Task } from '../../src/task/task.js';
import { setUnhandledErrorHandler } from '../../src/deferred/unhandled-error-handler.js';
import type { ThreadPool } from '../../src/threads/thread-pool.js';
import { waitForGate } from '../fixtures/thread-tasks.js';
import { nextTurn } from '../helpers/next-turn.js';

/**
 * The same task, loaded by workers from the built fixture module.
 * @param task - a task defined in test/fixtures/<name>.ts.
 * @returns a task with the same export and options whose module is dist/test/fixtures/<name>.js.
 */
export function built<T extends Task<any[], any>>(task: T): T {
  const file = task.moduleUrl.slice(task.moduleUrl.lastIndexOf('/') + 1).replace(/\.ts$/, '.js');
  const url = new URL(`../../dist/test/fixtures/${file}`, import.meta.url);
  return taskFrom(url, task.exportName, task.options) as unknown as T;
}

/** A fresh shared gate of `size` Int32 cells, all 0. */
export function gate(size = 2): Int32Array {
  return new Int32Array(new SharedArrayBuffer(size * 4));
}

/**
 * Waits (without blocking the event loop) until `cell[index]` is no longer `from`.
 * @returns the new value.
 * @throws Error after `timeoutMs` (a hung worker fails the test instead of hanging it).
 */
export async function changed(cell: Int32Array, index = 0, from = 0, timeoutMs = 10_000): Promise<number> {
  const atomics = Atomics as unknown as {
    waitAsync: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: Promise<string> | string };
  };
  for (;;) {
    const now = Atomics.load(cell, index);
    if (now !== from) return now;
    const result = atomics.waitAsync(cell, index, from, timeoutMs);
    const outcome = result.async ? await result.value : result.value;
    if (outcome === 'timed-out') throw new Error(`gate[${index}] stayed ${from} for ${timeoutMs} ms`);
  }
}

/**
 * Waits (without blocking the event loop) until a worker stores `value` in `cell[index]` (and notifies it). Why not
 * {@link until}: a condition a worker makes true can take any number of event-loop turns (a worker starting on a
 * loaded machine); this wakes on the worker's notify instead of counting turns.
 * @throws Error after `timeoutMs` without it (a hung worker fails the test instead of hanging it).
 */
export async function reaches(cell: Int32Array, index: number, value: number, timeoutMs = 10_000): Promise<void> {
  const atomics = Atomics as unknown as {
    waitAsync: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: Promise<string> | string };
  };
  for (;;) {
    const now = Atomics.load(cell, index);
    if (now === value) return;
    const result = atomics.waitAsync(cell, index, now, timeoutMs);
    const outcome = result.async ? await result.value : result.value;
    if (outcome === 'timed-out') throw new Error(`gate[${index}] stayed ${now} (not ${value}) for ${timeoutMs} ms`);
  }
}

/**
 * Opens a gate: stores `value` in `cell[index]` and wakes the worker waiting on it.
 */
export function open(cell: Int32Array, index = 1, value = 1): void {
  Atomics.store(cell, index, value);
  Atomics.notify(cell, index);
}

/** How a Deferred ended. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: any; failure: Failure };

/**
 * Waits for `d` to fire and reports how, handling its failure.
 * @param d - the Deferred.
 */
export function settled<T>(d: Deferred<T>): Promise<Outcome<T>> {
  return new Promise((resolve) => {
    d.addCallbacks(
      (value: T) => {
        resolve({ ok: true, value });
      },
      (failure: Failure) => {
        resolve({ ok: false, error: failure.value, failure });
      },
    );
  });
}

/**
 * How a thread call ended, for tables: `'lost'` for a `WorkerCrashedError` saying the task ran to its end and its
 * outcome died with its worker (a coalesced batch's held result); else the value, or the error's name.
 * @param outcome - what {@link settled} reported.
 */
export function lostOrValue(outcome: Outcome<unknown>): unknown {
  if (outcome.ok) return outcome.value;
  const error = outcome.error as Error;
  return error instanceof WorkerCrashedError && /ran to its end in its worker, but the worker died before the outcome was sent back/.test(error.message)
    ? 'lost'
    : error.name;
}

/**
 * Waits for `d` to fail and returns its error.
 * @throws Error when `d` succeeds.
 */
export async function failureOf(d: Deferred<unknown>): Promise<any> {
  const outcome = await settled(d);
  if (outcome.ok) throw new Error(`Expected a failure, got ${String(outcome.value)}`);
  return outcome.error;
}

/**
 * Reads a stream to its end.
 * @param stream - the stream (any async iterable).
 * @returns the items read, and what the iteration threw (`undefined` when it ended done).
 */
export async function readAll(stream: AsyncIterable<unknown>): Promise<{ items: unknown[]; thrown: unknown }> {
  const items: unknown[] = [];
  try {
    for await (const item of stream) items.push(item);
  } catch (error) {
    return { items, thrown: error };
  }
  return { items, thrown: undefined };
}

/** Counts how many times each Deferred fires (to prove "exactly once"). */
export function countFirings(d: Deferred<unknown>): { count: number } {
  const seen = { count: 0 };
  d.addBoth((r: unknown) => {
    seen.count++;
    return r instanceof Failure ? null : r; // consume failures: the test inspects counts, not errors
  });
  return seen;
}

/**
 * Waits, turn by turn of the event loop, until `condition()` holds (for state changed by async main-thread code).
 * @throws Error after `turns` event-loop turns without it.
 */
export async function until(condition: () => boolean, turns = 10_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    await nextTurn();
  }
  throw new Error(`condition still false after ${turns} event-loop turns`);
}

/** What {@link watchUnhandled} saw: unhandled-error reports of collected Deferreds, and process-level escapes. */
export interface UnhandledWatch {
  /** Failures reported by the unhandled-error handler (besides the canary). */
  readonly reported: Failure[];
  /** Unhandled rejections and uncaught exceptions. */
  readonly escaped: unknown[];
  /**
   * Collects garbage until the reports of everything unreachable now have arrived: drops a canary Deferred with an
   * unhandled failure, runs `gc()` and waits until the canary is reported (same registry, so the reports of the same
   * collection come with it). Proves the watch can see a report at all.
   * @throws Error when the canary is never reported (no --expose-gc, or the report path is broken).
   */
  settle(): Promise<void>;
  /** Restores the previous handlers. */
  stop(): void;
}

/**
 * Watches for failures nobody handled: unhandled-error reports (after garbage collection) and process-level escapes.
 *
 * Needs `gc()` (jest runs with --expose-gc). Drop every reference to the Deferreds under test before `settle()`.
 * @returns the watch.
 */
export function watchUnhandled(): UnhandledWatch {
  const reported: Failure[] = [];
  const escaped: unknown[] = [];
  const canaries = new Set<unknown>();
  const previous = setUnhandledErrorHandler((f) => {
    if (canaries.has(f.value)) canaries.delete(f.value);
    else reported.push(f);
  });
  const onEscape = (reason: unknown): void => {
    escaped.push(reason);
  };
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  const collect = (globalThis as { gc?: () => void }).gc;
  return {
    reported,
    escaped,
    async settle() {
      if (collect === undefined) throw new Error('watchUnhandled needs gc(): run node with --expose-gc');
      const canary = new Error('canary: an unhandled failure that must be reported');
      canaries.add(canary);
      (() => {
        new Deferred<never>().errback(canary); // dropped at once, its failure unhandled
      })();
      await until(() => {
        collect();
        return !canaries.has(canary);
      }, 1000);
    },
    stop() {
      process.off('unhandledRejection', onEscape);
      process.off('uncaughtException', onEscape);
      setUnhandledErrorHandler(previous);
    },
  };
}

/**
 * Keeps the pool's one worker busy with a first call (fixture `waitForGate`) while `queue()` dispatches more: those
 * wait, so with coalescing they leave together in one batch once `release()` lets the first call end.
 * @param pool - a pool of one worker.
 * @param queue - dispatches the calls to hold back.
 * @returns what `queue` returned, and `release`, which ends the first call and waits for its result.
 */
export async function behindBlocker<T>(pool: ThreadPool, queue: () => T): Promise<{ queued: T; release: () => Promise<void> }> {
  const cells = gate();
  const blocker = pool.run(built(waitForGate), cells, 'blocker');
  await changed(cells);
  const queued = queue();
  return {
    queued,
    release: async () => {
      open(cells);
      if ((await blocker) !== 'blocker') throw new Error('the blocking call returned something else');
    },
  };
}

/**
 * Makes the pool's one worker learn a task as quick: five calls of it (each must return `expected`) in one batch
 * behind a blocker, so that the worker holds finished results behind a later call of it (coalescing).
 * @param pool - a pool of one worker, coalescing.
 * @param call - dispatches one call of the task.
 * @param expected - what each call returns.
 */
export async function learnQuick(pool: ThreadPool, call: () => Deferred<unknown>, expected: unknown): Promise<void> {
  const learn = await behindBlocker(pool, () => Array.from({ length: 5 }, call));
  await learn.release();
  const values = await Promise.all(learn.queued);
  if (values.some((v) => v !== expected)) throw new Error(`a learning call returned ${String(values.find((v) => v !== expected))}, not ${String(expected)}`);
}
