/**
 * The main thread's side of the cancellation slots shared with every worker of a pool.
 *
 * Why slots instead of a per-task `AbortSignal`: Piscina aborts a running task by terminating its worker at once
 * (no grace), and a task given a signal bypasses `maxQueue`; a per-task `AbortController` also costs measurable
 * throughput on small tasks. A slot is one `Int32` in a growable `SharedArrayBuffer` handed to workers once, at
 * start; slots are recycled through a free list, so dispatching a task allocates nothing shared, and the buffer
 * doubles when more tasks are in flight than it has slots (workers' views follow its length).
 *
 * The slot and timing layout, and who writes what, are the protocol's: see `wire.ts`.
 *
 * @module
 */
import { slotCancelledBit, slotEndedBit, slotKilledBit, slotThreadShift, slotWaiterBit } from './wire.js';

/** ES2024's growable `SharedArrayBuffer` (Node 20 has it; the `lib` this project compiles against predates it). */
interface GrowableSharedArrayBuffer extends SharedArrayBuffer {
  grow(newByteLength: number): void;
}

const GrowableSharedArrayBuffer = SharedArrayBuffer as unknown as new (
  byteLength: number,
  options: { maxByteLength: number },
) => GrowableSharedArrayBuffer;

/** Slots a pool starts with; the shared memory grows (doubling) as more tasks are in flight at once. */
export const initialSlotCount = 1 << 10;

/**
 * Most tasks of one pool in flight at once (about 4 million): far above any realistic count, it bounds the shared
 * memory reserved for slots (16 MiB of `Int32`, 64 MiB of timings, reserved but committed only as used). Past it
 * a dispatch errbacks with `QueueFullError`.
 */
export const maxSlotCount = 1 << 22;

/** A pool's cancellation slots: a growable shared `Int32Array` and a free list. */
export class CancelSlots {
  /** The shared memory handed to workers in `workerData` (growable: workers' views follow its length). */
  readonly buffer: SharedArrayBuffer;
  /**
   * Per slot, two `Float64`s the worker writes as its task ends: when it started (ms since the epoch) and how long
   * it ran (ms). Read before the slot is released; timings need no room in the reply message.
   */
  readonly timesBuffer: SharedArrayBuffer;
  /** The most slots this pool may grow to. */
  readonly limit: number;
  readonly #slotsMemory: GrowableSharedArrayBuffer;
  readonly #timesMemory: GrowableSharedArrayBuffer;
  readonly #view: Int32Array;
  readonly #times: Float64Array;
  readonly #free: number[] = [];
  #count = 0;

  /**
   * @param initial - slots to start with.
   * @param limit - the most slots (see {@link maxSlotCount}).
   */
  constructor(initial = initialSlotCount, limit = maxSlotCount) {
    this.limit = limit;
    // Length-tracking views (no length given) follow the buffers as they grow, here and in every worker.
    this.buffer = this.#slotsMemory = new GrowableSharedArrayBuffer(0, { maxByteLength: limit * 4 });
    this.timesBuffer = this.#timesMemory = new GrowableSharedArrayBuffer(0, { maxByteLength: limit * 16 });
    this.#view = new Int32Array(this.buffer);
    this.#times = new Float64Array(this.timesBuffer);
    this.#grow(Math.min(initial, limit));
  }

  /** Adds slots up to `count` in all (the new ones free, their timings NaN). */
  #grow(count: number): void {
    const from = this.#count;
    this.#slotsMemory.grow(count * 4);
    this.#timesMemory.grow(count * 16);
    this.#times.fill(Number.NaN, 2 * from);
    for (let i = count - 1; i >= from; i--) this.#free.push(i);
    this.#count = count;
  }

  /**
   * Takes a free slot, growing the shared memory when every slot is in use.
   * @returns its index, or -1 when {@link CancelSlots.limit} slots are in use.
   */
  acquire(): number {
    if (this.#free.length === 0) {
      if (this.#count >= this.limit) return -1;
      this.#grow(Math.min(this.#count * 2 || 1, this.limit));
    }
    return this.#free.pop()!;
  }

  /** Slots the shared memory holds now (in use or free). */
  get size(): number {
    return this.#count;
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
    this.#free.push(slot);
  }

  /**
   * Sets the cancelled bit of a slot and wakes a worker waiting on it.
   * @param slot - the slot (-1 is ignored).
   * @returns the id of the thread running the task; 0 when it has not started (or no slot); -1 when it already
   *   ended in its worker (its outcome is on the way).
   */
  cancel(slot: number): number {
    if (slot < 0) return 0;
    const old = Atomics.or(this.#view, slot, slotCancelledBit);
    if ((old & slotWaiterBit) !== 0) Atomics.notify(this.#view, slot);
    return (old & slotEndedBit) !== 0 ? -1 : old >>> slotThreadShift;
  }

  /**
   * Which thread runs the task of a slot.
   * @param slot - the slot.
   * @returns the thread id, or 0 when not started (or no slot); an ended task still names the thread it ran on.
   */
  runningThread(slot: number): number {
    return slot < 0 ? 0 : Atomics.load(this.#view, slot) >>> slotThreadShift;
  }

  /**
   * Whether the task of a slot ran to its end in its worker (returned or threw; its outcome left the task, though it
   * may not have reached the main thread: a coalesced batch holds finished results for a while). Read before `release`.
   * @param slot - the slot (-1: no).
   * @returns true once its worker marked it ended.
   */
  ended(slot: number): boolean {
    return slot >= 0 && (Atomics.load(this.#view, slot) & slotEndedBit) !== 0;
  }

  /**
   * Claims the right to terminate the worker running the task of a slot: wins only while the task still runs on
   * `threadId` and has not ended (see `wire.ts`, "ending versus killing"). Once it won, that worker never replies.
   * @param slot - the slot (-1: nothing to kill).
   * @param threadId - the thread the task was running on when it was cancelled.
   * @returns true when the caller must terminate `threadId`; false when the task ended first (or runs elsewhere).
   */
  claimKill(slot: number, threadId: number): boolean {
    if (slot < 0 || Atomics.load(this.#view, slot) >>> slotThreadShift !== threadId) return false;
    const old = Atomics.or(this.#view, slot, slotKilledBit);
    return (old & slotEndedBit) === 0;
  }

  /** Slots in use right now. */
  get inUse(): number {
    return this.#count - this.#free.length;
  }
}
