/**
 * `ActiveRuns`: a pool's runs that are not over yet, as a list linked through the runs themselves.
 *
 * Why not a `Set`: with thousands of calls in flight, a `Set` keeps an entry per run in a hash table that doubles as
 * calls are sent and is copied again as it shrinks while they finish, and the table survives young-generation
 * collections while it is large (so it is copied and promoted with the runs). Linked through two fields of each run,
 * adding and removing allocate nothing.
 *
 * Invariants: an item is in at most one list; `delete` of an item not in the list does nothing (a run's end may be
 * reported once per way it can end); iteration order is the order items were added.
 *
 * @module
 */

/** The two fields an item of an {@link ActiveRuns} list carries: its neighbours there (only the list sets them). */
export interface ActiveLinks<T> {
  activePrev: T | undefined;
  activeNext: T | undefined;
}

/** A list of items in the order they were added, linked through the items' own fields. */
export class ActiveRuns<T extends ActiveLinks<T>> {
  #head: T | undefined;
  #tail: T | undefined;
  #size = 0;

  /** How many items are in the list. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds `item` at the end.
   * @param item - an item in no list.
   */
  add(item: T): void {
    const tail = this.#tail;
    item.activePrev = tail;
    item.activeNext = undefined;
    if (tail === undefined) this.#head = item;
    else tail.activeNext = item;
    this.#tail = item;
    this.#size++;
  }

  /**
   * Removes `item`, if it is in the list.
   * @param item - the item.
   * @returns whether it was there.
   */
  delete(item: T): boolean {
    const prev = item.activePrev;
    const next = item.activeNext;
    if (prev === undefined ? this.#head !== item : prev.activeNext !== item) return false;
    if (prev === undefined) this.#head = next;
    else prev.activeNext = next;
    if (next === undefined) this.#tail = prev;
    else next.activePrev = prev;
    item.activePrev = undefined;
    item.activeNext = undefined;
    this.#size--;
    return true;
  }

  /** @returns the items, first added first (a copy: removing items while going through it is safe). */
  toArray(): T[] {
    const items: T[] = [];
    for (let item = this.#head; item !== undefined; item = item.activeNext) items.push(item);
    return items;
  }
}
