/**
 * `InProcessStream`: a stream whose task runs in this thread — as a greenlet or inline (SPEC §9).
 *
 * Invariants:
 * - The task finds its stream through an `AsyncLocalStorage` store: the greenlet is spawned, and the inline call
 *   made, inside the store, so every step of the task (a greenlet resumes in its spawner's context, an async
 *   function's continuations keep theirs, an inline generator is stepped inside it) sees it — and so does code the
 *   task spawns. The storage is made by the first in-process stream, never at import (on Node 20 an
 *   `AsyncLocalStorage` in use adds promise hooks; only programs that stream in-process pay for it).
 * - Window: up to `window` items not yet read are readable; an `emit` past that queues its item unreadable and
 *   returns a Deferred that fires when the item becomes readable (as the consumer reads, in emit order). A greenlet
 *   that yields it parks; one that does not — and an inline call — just buffers. When the task ends every queued
 *   item becomes readable before `result` fires.
 * - Progress: delivered at once, then at most once per 50 ms on the reactor's clock (the latest value wins); the
 *   pending value is delivered before `result`.
 * - Cancelled or timed out: queued items and a pending progress value are dropped, and the stream is aborted.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Deferred } from '../deferred/deferred.js';
import type { Failure } from '../deferred/failure.js';
import type { DelayedCall, Scheduler } from '../time/scheduler.js';
import { StreamBuffer } from './stream-buffer.js';
import type { LiveStream, StreamTaskCounters } from './stream-stats.js';
import { endedByAbort } from './ended-by-abort.js';

/** Progress values are delivered at most this often (ms). */
export const progressIntervalMs = 50;

/**
 * The storage lives on one `globalThis` key, so that two copies of this module (the built `dist/` and a TypeScript
 * source, or two installed copies of the package) agree on the running stream: a task module may import
 * `greenreactor/worker` from another copy than the reactor's.
 */
const storageKey = Symbol.for('greenreactor.streams');
const holder = globalThis as Record<symbol, AsyncLocalStorage<StreamOfTask> | undefined>;

/** What a task's `emit`/`progress` call on its in-process stream (the same in every copy of this module). */
export interface StreamOfTask {
  emit(item: unknown): Deferred<void> | undefined;
  progress(value: unknown): void;
}

/**
 * The in-process stream the calling code runs for, if any.
 * @returns the stream, or `undefined` outside every in-process stream.
 */
export function currentInProcessStream(): StreamOfTask | undefined {
  return holder[storageKey]?.getStore();
}

/**
 * Runs `fn` as code of `stream`: `emit` and `progress` inside it (and in its continuations) go to the stream.
 * @param stream - the stream.
 * @param fn - the code.
 * @returns what `fn` returned.
 */
export function runInStream<R>(stream: InProcessStream, fn: () => R): R {
  return (holder[storageKey] ??= new AsyncLocalStorage<StreamOfTask>()).run(stream, fn);
}

/** One streamed in-process task (greenlet or inline), from its start to the end of its stream. */
export class InProcessStream implements LiveStream, StreamOfTask {
  /** The caller's side. */
  readonly buffer: StreamBuffer;
  readonly #window: number;
  readonly #counters: StreamTaskCounters;
  readonly #clock: Scheduler;
  readonly #now: () => number;
  #run: Deferred<unknown> | undefined;
  #ended = false;
  /** Items made readable. */
  #items = 0;
  /** Items made readable and not read yet. */
  #unread = 0;
  /** Items past the window, not readable yet, with the Deferred their `emit` returned. */
  #queued: Array<{ item: unknown; ready: Deferred<void> }> = [];
  #queuedHead = 0;
  #blockedSince = -1;
  #blockedMs = 0;
  #progressAt = Number.NEGATIVE_INFINITY;
  #progressTimer: DelayedCall | undefined;
  #progressValue: unknown;

  /**
   * @param window - `streamWindow`.
   * @param counters - the task's stream stats.
   * @param clock - the reactor's clock (progress coalescing).
   * @param now - the wall time blocked time is measured with.
   * @param onError - receives errors of progress listeners.
   */
  constructor(window: number, counters: StreamTaskCounters, clock: Scheduler, now: () => number, onError: (error: unknown) => void) {
    this.#window = window;
    this.#counters = counters;
    this.#clock = clock;
    this.#now = now;
    this.buffer = new StreamBuffer({
      onRead: () => this.#onRead(),
      cancel: () => {
        if (this.#run !== undefined) this.#run.cancel();
      },
      onError,
    });
    counters.live.add(this);
  }

  /**
   * The task emits `item`.
   * @param item - the item.
   * @returns `undefined` when the item is readable at once; else a Deferred firing when it becomes readable.
   */
  emit(item: unknown): Deferred<void> | undefined {
    if (this.#ended) return undefined;
    if (this.#unread < this.#window && this.#queuedHead === this.#queued.length) {
      this.#deliver(item);
      return undefined;
    }
    const ready = new Deferred<void>();
    if (this.#queuedHead === this.#queued.length) this.#blockedSince = this.#now();
    this.#queued.push({ item, ready });
    return ready;
  }

  /**
   * The task reports progress (never blocks).
   * @param value - the latest value.
   */
  progress(value: unknown): void {
    if (this.#ended) return;
    this.#progressValue = value;
    if (this.#progressTimer !== undefined) return; // a delivery is due: it takes the latest value
    const wait = this.#progressAt + progressIntervalMs - this.#clock.now();
    if (wait <= 0) {
      this.#progressAt = this.#clock.now();
      this.buffer.progress(value);
    } else {
      this.#progressTimer = this.#clock.callLater(wait, () => {
        this.#progressTimer = undefined;
        this.#progressAt = this.#clock.now();
        this.buffer.progress(this.#progressValue);
      });
    }
  }

  /** @returns the items made readable so far. */
  items(): number {
    return this.#items;
  }

  /** @returns ms the task has spent with items queued past the window, a wait in progress counted up to now. */
  blockedMs(): number {
    return this.#blockedMs + (this.#blockedSince >= 0 ? Math.max(0, this.#now() - this.#blockedSince) : 0);
  }

  /**
   * Follows the task's run: its outcome ends the stream.
   * @param run - the run's Deferred (consumed here).
   */
  attach(run: Deferred<unknown>): void {
    this.#run = run;
    run.addCallbacks(
      (value) => {
        this.#finish();
        this.buffer.succeed(value);
        return undefined;
      },
      (failure: Failure) => {
        const error = failure.value;
        if (endedByAbort(error)) {
          this.#end();
          this.buffer.abort(error);
        } else {
          this.#finish();
          this.buffer.fail(error);
        }
        return undefined;
      },
    );
  }

  #deliver(item: unknown): void {
    this.#unread++;
    this.#items++;
    this.buffer.push(item); // may hand it straight to a waiting reader, which reads it (#onRead) at once
  }

  #onRead(): void {
    this.#unread--;
    if (this.#queuedHead < this.#queued.length && this.#unread < this.#window) {
      const next = this.#queued[this.#queuedHead]!;
      this.#queued[this.#queuedHead++] = undefined as never;
      if (this.#queuedHead === this.#queued.length) this.#unblock();
      this.#deliver(next.item);
      next.ready.callback(undefined);
    }
  }

  #unblock(): void {
    this.#queued = [];
    this.#queuedHead = 0;
    if (this.#blockedSince >= 0) {
      this.#blockedMs += Math.max(0, this.#now() - this.#blockedSince);
      this.#blockedSince = -1;
    }
  }

  /** The task ended: queued items become readable, the pending progress value is delivered. */
  #finish(): void {
    const queued = this.#queued.slice(this.#queuedHead);
    this.#unblock();
    for (const { item, ready } of queued) {
      this.#deliver(item);
      ready.callback(undefined);
    }
    if (this.#progressTimer !== undefined) {
      this.#progressTimer.cancel();
      this.#progressTimer = undefined;
      this.buffer.progress(this.#progressValue);
    }
    this.#end();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#unblock();
    if (this.#progressTimer !== undefined) {
      this.#progressTimer.cancel();
      this.#progressTimer = undefined;
    }
    this.#counters.finish(this);
  }
}
