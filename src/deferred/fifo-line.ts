/**
 * `FifoLine`: the first-in-first-out line behind `DeferredLock`, `DeferredSemaphore` and `DeferredQueue` (their
 * waiters, and the queue's stored items).
 *
 * Why not an array's `shift()` and `indexOf` + `splice`: past about 10,000 entries V8 keeps an array's backing
 * store in large-object space, where `shift()` moves every element instead of trimming the front, so draining
 * 100,000 waiters took 14 s; and cancelling n waiters (a timeout storm on a held lock) searched and moved the line
 * n times: 100,000 cancelled `acquire()`s froze the event loop for 51 s. Here taking the first entry and removing
 * any entry cost O(1), amortised.
 *
 * Invariants: entries live in `#items[#head..#tail)` in line order, every other slot is a hole (`HOLE`): a taken or
 * removed entry leaves one, which `shift()` skips; `#size` counts the entries, not the holes. An emptied line
 * starts again at slot 0 (a short array is kept and reused). The array is rebuilt without the taken front and
 * the holes once they outnumber the entries (and at least `compactAfter` of them), so the work is linear in the
 * entries ever added. `remove()` searches a short line (the common case: a few waiters, nothing extra kept per
 * entry); the first `remove()` on a line longer than `searchUpTo` makes a map of positions that the line keeps
 * from then on. Entries must be distinct objects for `remove()`, as waiters' Deferreds are. Internal to the
 * Deferred family.
 *
 * @module
 */

/** Marks the slot of an entry removed out of turn. */
const HOLE: unique symbol = Symbol('greenreactor.fifoHole');

/** Holes and taken slots tolerated before a rebuild, so short lines never rebuild. */
const compactAfter = 1024;

/** Longest line `remove()` searches instead of keeping positions. */
const searchUpTo = 32;

/** A FIFO line with O(1) amortised `shift()` and `remove()`. */
export class FifoLine<T> {
  #items: unknown[] = [];
  #head = 0;
  #tail = 0;
  #size = 0;
  #positions: Map<T, number> | null = null;

  /** The number of entries in the line. */
  get size(): number {
    return this.#size;
  }

  /** Append `entry` at the back. */
  push(entry: T): void {
    this.#positions?.set(entry, this.#tail);
    this.#items[this.#tail++] = entry;
    this.#size++;
  }

  /**
   * Put `entry` back at the front (an item a queue handed to a getter that no longer waited). O(1) when the front
   * slot is free, as it is after a `shift()`; else the line is rebuilt (rare: a give-back is a caller's misuse).
   */
  unshift(entry: T): void {
    if (this.#head === 0) {
      if (this.#tail > 0) {
        this.#rebuild(1);
      } else {
        this.push(entry);
        return;
      }
    }
    this.#head--;
    this.#positions?.set(entry, this.#head);
    this.#items[this.#head] = entry;
    this.#size++;
  }

  /** @returns the front entry, taken out of the line, or `undefined` when the line is empty. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const items = this.#items;
    let entry = items[this.#head];
    while (entry === HOLE) entry = items[++this.#head];
    items[this.#head++] = HOLE; // let it be collected
    this.#size--;
    this.#positions?.delete(entry as T);
    this.#compactIfSparse();
    return entry as T;
  }

  /**
   * Take `entry` out of the line wherever it is.
   *
   * @returns whether it was in the line.
   */
  remove(entry: T): boolean {
    let at: number | undefined;
    if (this.#positions === null && this.#tail - this.#head <= searchUpTo) {
      const found = this.#items.indexOf(entry, this.#head);
      if (found !== -1 && found < this.#tail) at = found;
    } else {
      const positions = (this.#positions ??= this.#mapPositions());
      at = positions.get(entry);
      positions.delete(entry);
    }
    if (at === undefined) return false;
    this.#items[at] = HOLE;
    this.#size--;
    this.#compactIfSparse();
    return true;
  }

  /**
   * Keep only the entries `keep` accepts, in order: O(n), for a caller that has to count what is really left (a
   * queue's backlog of getters, some of which their users fired).
   *
   * @param keep - called once per entry, front to back; must not change the line.
   */
  retain(keep: (entry: T) => boolean): void {
    if (this.#size === 0) return;
    this.#rebuild(0, keep);
    this.#compactIfSparse();
  }

  #mapPositions(): Map<T, number> {
    const positions = new Map<T, number>();
    for (let i = this.#head; i < this.#tail; i++) {
      const entry = this.#items[i];
      if (entry !== HOLE) positions.set(entry as T, i);
    }
    return positions;
  }

  #compactIfSparse(): void {
    if (this.#size === 0) {
      if (this.#items.length > compactAfter) this.#items = []; // every slot is a hole: drop a long array
      this.#head = 0;
      this.#tail = 0;
      return;
    }
    const unused = this.#tail - this.#size; // the taken front and the holes
    if (unused < compactAfter || unused <= this.#size) return;
    this.#rebuild(0);
  }

  /**
   * Rebuild the array with the entries only (those `keep` accepts, when given), starting at slot `head` (the slots
   * before it are holes).
   */
  #rebuild(head: number, keep?: (entry: T) => boolean): void {
    const kept: unknown[] = [];
    for (let i = 0; i < head; i++) kept.push(HOLE);
    for (let i = this.#head; i < this.#tail; i++) {
      const entry = this.#items[i];
      if (entry === HOLE) continue;
      if (keep !== undefined && !keep(entry as T)) {
        this.#positions?.delete(entry as T);
        continue;
      }
      this.#positions?.set(entry as T, kept.length);
      kept.push(entry);
    }
    this.#items = kept;
    this.#head = head;
    this.#tail = kept.length;
    this.#size = kept.length - head;
  }
}
