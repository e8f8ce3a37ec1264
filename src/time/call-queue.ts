/**
 * `CallQueue`: the ordered store of pending `DelayedCall`s that `Clock` and `RealTimeScheduler` share.
 *
 * @module
 */
import type { DelayedCall } from './delayed-call.js';

/**
 * A binary min-heap of delayed calls ordered by due time, then by scheduling rank.
 *
 * Why a heap with a position index: a reactor may hold thousands of timeouts that are mostly cancelled
 * before they fire (every `addTimeout` whose Deferred fires first). Removing or moving a call is then
 * O(log n) and takes it out at once, instead of leaving cancelled entries behind until they reach the top.
 * The order is total — `(getTime(), sequence)` — so equal due times keep `callLater` order whatever the
 * sequence of `reset`/`delay`/`cancel` was.
 */
export class CallQueue {
  readonly #heap: DelayedCall[] = [];
  readonly #index = new Map<DelayedCall, number>();
  #sequence = 0;

  /** The number of calls waiting. */
  get size(): number {
    return this.#heap.length;
  }

  /** @returns the next scheduling rank; calls made earlier get lower ranks and win ties. */
  nextSequence(): number {
    return this.#sequence++;
  }

  /** @returns the rank the next call will get, without taking it: every call made so far ranks lower. */
  peekSequence(): number {
    return this.#sequence;
  }

  /** @returns the call due first, or `undefined` when empty. */
  peek(): DelayedCall | undefined {
    return this.#heap[0];
  }

  /** Add a call. @param call - a call not already in the queue. */
  push(call: DelayedCall): void {
    this.#heap.push(call);
    this.#index.set(call, this.#heap.length - 1);
    this.#up(this.#heap.length - 1);
  }

  /** Remove and return the call due first. @returns it, or `undefined` when empty. */
  pop(): DelayedCall | undefined {
    const top = this.#heap[0];
    if (top !== undefined) {
      this.#removeAt(0);
    }
    return top;
  }

  /** Remove a call. @param call - the call. @returns whether it was in the queue. */
  remove(call: DelayedCall): boolean {
    const i = this.#index.get(call);
    if (i === undefined) {
      return false;
    }
    this.#removeAt(i);
    return true;
  }

  /** Restore the order after `call`'s due time changed. @param call - the call that moved. */
  update(call: DelayedCall): void {
    const i = this.#index.get(call);
    if (i !== undefined) {
      this.#down(this.#up(i));
    }
  }

  /** @returns the waiting calls in the order they will run (a copy). */
  toSortedArray(): DelayedCall[] {
    return [...this.#heap].sort((a, b) => (before(a, b) ? -1 : 1));
  }

  #removeAt(i: number): void {
    const heap = this.#heap;
    const removed = heap[i] as DelayedCall;
    const last = heap.pop() as DelayedCall;
    this.#index.delete(removed);
    if (i < heap.length) {
      heap[i] = last;
      this.#index.set(last, i);
      this.#down(this.#up(i));
    }
  }

  /** Sift up; @returns the final position. */
  #up(i: number): number {
    const heap = this.#heap;
    const call = heap[i] as DelayedCall;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex] as DelayedCall;
      if (!before(call, parent)) {
        break;
      }
      heap[i] = parent;
      this.#index.set(parent, i);
      i = parentIndex;
    }
    heap[i] = call;
    this.#index.set(call, i);
    return i;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const call = heap[i] as DelayedCall;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) {
        break;
      }
      const right = left + 1;
      const child = right < n && before(heap[right] as DelayedCall, heap[left] as DelayedCall) ? right : left;
      const childCall = heap[child] as DelayedCall;
      if (!before(childCall, call)) {
        break;
      }
      heap[i] = childCall;
      this.#index.set(childCall, i);
      i = child;
    }
    heap[i] = call;
    this.#index.set(call, i);
  }
}

/** The queue's total order: due time, then scheduling rank. */
function before(a: DelayedCall, b: DelayedCall): boolean {
  const ta = a.getTime();
  const tb = b.getTime();
  return ta < tb || (ta === tb && a.sequence < b.sequence);
}
