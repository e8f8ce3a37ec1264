/**
 * The main thread's side of the cancellation slots shared with every worker of a pool.
 *
 * Why slots instead of a per-task `AbortSignal`: Piscina aborts a running task by terminating its worker at once
 * (no grace), and a task given a signal bypasses `maxQueue`; a per-task `AbortController` also costs measurable
 * throughput on small tasks. A slot is one `Int32` in a `SharedArrayBuffer` handed to workers once, at start;
 * slots are recycled through a free list, so dispatching a task allocates nothing shared.
 *
 * Slot protocol (see `src/worker/worker-state.ts`): 0 = queued; the worker claims it with a compare-and-swap to
 * `threadId << 2` before running (and skips the task if the cancelled bit is already set); the main thread sets bit
 * 0 to cancel and notifies when bit 1 says a worker waits on it; the slot returns to 0 only once the task's reply
 * (or its worker's death) has reached the main thread.
 *
 * @module
 */
import { slotCancelledBit, slotThreadShift, slotWaiterBit } from '../worker/worker-state.js';

/** How many tasks of one pool can be in flight with a slot; past it tasks run without early cancellation. */
export const defaultSlotCount = 1 << 16;

/** A pool's cancellation slots: a shared `Int32Array` and a free list. */
export class CancelSlots {
  /** The shared memory handed to workers in `workerData`. */
  readonly buffer: SharedArrayBuffer;
  /**
   * Per slot, two `Float64`s the worker writes as its task ends: when it started (ms since the epoch) and how long
   * it ran (ms). Read before the slot is released; timings need no room in the reply message.
   */
  readonly timesBuffer: SharedArrayBuffer;
  readonly #view: Int32Array;
  readonly #times: Float64Array;
  readonly #free: Int32Array;
  #top: number;

  /** @param count - number of slots. */
  constructor(count = defaultSlotCount) {
    this.buffer = new SharedArrayBuffer(count * 4);
    this.#view = new Int32Array(this.buffer);
    this.timesBuffer = new SharedArrayBuffer(count * 16);
    this.#times = new Float64Array(this.timesBuffer);
    this.#free = new Int32Array(count);
    for (let i = 0; i < count; i++) this.#free[i] = count - 1 - i;
    this.#times.fill(Number.NaN);
    this.#top = count;
  }

  /**
   * Takes a free slot.
   * @returns its index, or -1 when every slot is in use (the task then runs without a slot: a cancellation still
   *   errbacks at once and drops the result, but cannot stop it from starting or reach its worker).
   */
  acquire(): number {
    return this.#top === 0 ? -1 : this.#free[--this.#top]!;
  }

  /**
   * When the task of a slot started (ms since the epoch), as its worker recorded it; read before `release`.
   * @param slot - the slot (-1: no timing).
   * @returns the time, or NaN.
   */
  startedAt(slot: number): number {
    return slot < 0 ? Number.NaN : this.#times[2 * slot]!;
  }

  /**
   * How long the task of a slot ran (ms), as its worker recorded it; read before `release`.
   * @param slot - the slot (-1: no timing).
   * @returns the duration, or NaN.
   */
  runMs(slot: number): number {
    return slot < 0 ? Number.NaN : this.#times[2 * slot + 1]!;
  }

  /**
   * Returns a slot to the free list, once its task's outcome has reached the main thread.
   * @param slot - the slot (-1 is ignored).
   */
  release(slot: number): void {
    if (slot < 0) return;
    this.#times[2 * slot] = Number.NaN;
    this.#times[2 * slot + 1] = Number.NaN;
    const old = Atomics.exchange(this.#view, slot, 0);
    if ((old & slotWaiterBit) !== 0) Atomics.notify(this.#view, slot);
    this.#free[this.#top++] = slot;
  }

  /**
   * Sets the cancelled bit of a slot and wakes a worker waiting on it.
   * @param slot - the slot (-1 is ignored).
   * @returns the id of the thread running the task, or 0 when it has not started.
   */
  cancel(slot: number): number {
    if (slot < 0) return 0;
    const old = Atomics.or(this.#view, slot, slotCancelledBit);
    if ((old & slotWaiterBit) !== 0) Atomics.notify(this.#view, slot);
    return old >>> slotThreadShift;
  }

  /**
   * Which thread runs the task of a slot.
   * @param slot - the slot.
   * @returns the thread id, or 0 when not started (or no slot).
   */
  runningThread(slot: number): number {
    return slot < 0 ? 0 : Atomics.load(this.#view, slot) >>> slotThreadShift;
  }

  /** Slots in use right now. */
  get inUse(): number {
    return this.#free.length - this.#top;
  }
}
