/**
 * `DelayedCall`: one call scheduled on a `Clock` or a `RealTimeScheduler` (Twisted's `base.DelayedCall`).
 *
 * @module
 */
import { AlreadyCalledError, AlreadyCancelledError } from '../errors.js';
import type { DelayedCall as DelayedCallContract } from './scheduler.js';
import { addDelay } from './validate-delay.js';

/** Where a delayed call is in its life: waiting, already run (or running), or cancelled. */
export type DelayedCallState = 'pending' | 'called' | 'cancelled';

/**
 * What a `DelayedCall` needs from the scheduler that owns it.
 *
 * The scheduler keeps its calls in due order; the call tells it when it leaves (`remove`) or moves
 * (`reschedule`), so the scheduler can re-order and re-arm its timer.
 */
export interface DelayedCallOwner {
  /** The owner's current time (ms), the origin of `reset`. */
  now(): number;
  /** The call was cancelled: drop it from the queue. */
  remove(call: DelayedCall): void;
  /** The call's due time changed (`delay`/`reset`): move it in the queue. */
  reschedule(call: DelayedCall): void;
}

/**
 * A call scheduled to run later, with Twisted's `IDelayedCall` rules; the concrete type behind the
 * {@link DelayedCallContract | DelayedCall} interface.
 *
 * Made by a scheduler's `callLater`, never by user code. `cancel`, `delay` and `reset` throw
 * `AlreadyCalledError` once the call ran — `called` is set before its function starts, so this holds inside
 * the function too — and `AlreadyCancelledError` once it was cancelled. Among calls due at the same time, the
 * one scheduled first (by `callLater`) runs first; `delay` and `reset` change the due time but keep that
 * scheduling rank, so ties stay in `callLater` order after them as well.
 */
export class DelayedCall implements DelayedCallContract {
  /** Rank among calls due at the same time: the owner's `callLater` counter when the call was made. */
  readonly sequence: number;
  #time: number;
  #state: DelayedCallState = 'pending';
  #fn: ((...args: any[]) => unknown) | undefined;
  #args: unknown[] | undefined;
  readonly #owner: DelayedCallOwner;

  /**
   * @param owner - the scheduler that keeps the call in its queue.
   * @param time - the due time, in the owner's milliseconds.
   * @param sequence - the call's rank among calls due at the same time (lower runs first).
   * @param fn - the function to run.
   * @param args - its arguments.
   */
  constructor(owner: DelayedCallOwner, time: number, sequence: number, fn: (...args: any[]) => unknown, args: unknown[]) {
    this.#owner = owner;
    this.#time = time;
    this.sequence = sequence;
    this.#fn = fn;
    this.#args = args;
  }

  /** The scheduler time (ms) at which the call is due. @returns that time. */
  getTime(): number {
    return this.#time;
  }

  /** True once the call ran (set just before its function starts). */
  get called(): boolean {
    return this.#state === 'called';
  }

  /** True once the call was cancelled. */
  get cancelled(): boolean {
    return this.#state === 'cancelled';
  }

  /** Where the call is in its life. */
  get state(): DelayedCallState {
    return this.#state;
  }

  /** @returns true while the call has neither run nor been cancelled. */
  active(): boolean {
    return this.#state === 'pending';
  }

  /**
   * Prevent the call from running, and drop its function and arguments.
   * @throws AlreadyCalledError once it ran; AlreadyCancelledError once it was cancelled.
   */
  cancel(): void {
    this.#assertPending('cancel');
    this.#state = 'cancelled';
    this.#fn = undefined;
    this.#args = undefined;
    this.#owner.remove(this);
  }

  /**
   * Postpone the call by `ms` from its current due time.
   * @param ms - how much later, ≥ 0.
   * @throws AlreadyCalledError, AlreadyCancelledError, RangeError (negative or not a finite number, or a due time
   *   that would overflow or not move): the call stays as it was.
   */
  delay(ms: number): void {
    this.#assertPending('delay');
    this.#time = addDelay(this.#time, ms);
    this.#owner.reschedule(this);
  }

  /**
   * Make the call due `ms` from now (the owner's now).
   * @param ms - the new delay, ≥ 0.
   * @throws AlreadyCalledError, AlreadyCancelledError, RangeError (negative or not a finite number, or a due time
   *   that would overflow or not move): the call stays as it was.
   */
  reset(ms: number): void {
    this.#assertPending('reset');
    this.#time = addDelay(this.#owner.now(), ms);
    this.#owner.reschedule(this);
  }

  /**
   * Run the call: for the owning scheduler only, after it took the call off its queue.
   *
   * Marks the call as called first, then runs the function; whatever the function throws propagates to the
   * scheduler, which decides how to report it.
   */
  run(): void {
    const fn = this.#fn;
    const args = this.#args;
    if (this.#state !== 'pending' || fn === undefined || args === undefined) {
      return;
    }
    this.#state = 'called';
    this.#fn = undefined;
    this.#args = undefined;
    fn(...args);
  }

  #assertPending(method: string): void {
    if (this.#state === 'called') {
      throw new AlreadyCalledError(`Cannot ${method}() a DelayedCall that already ran`);
    }
    if (this.#state === 'cancelled') {
      throw new AlreadyCancelledError(`Cannot ${method}() a DelayedCall that was cancelled`);
    }
  }
}
