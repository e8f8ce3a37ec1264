/**
 * The hub's run queue: a growable ring buffer, FIFO.
 *
 * @module
 */

/**
 * A FIFO queue on a power-of-two ring buffer: `push` and `shift` are O(1) and allocate nothing once the buffer
 * has grown to the working size, which matters because every switch goes through it.
 *
 * @typeParam T - the queued items.
 */
export class ReadyQueue<T> {
  #items: (T | undefined)[] = new Array<T | undefined>(16);
  #mask = 15;
  #head = 0;
  #size = 0;

  /** How many items are queued. */
  get size(): number {
    return this.#size;
  }

  /**
   * Append an item at the tail.
   * @param item - the item.
   */
  push(item: T): void {
    if (this.#size > this.#mask) this.#grow();
    this.#items[(this.#head + this.#size) & this.#mask] = item;
    this.#size++;
  }

  /** @returns the item at the head without removing it, or `undefined` when empty. */
  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }

  /**
   * @param k - a position from the head, `0 <= k < size`.
   * @returns the item there (for a walk over the queue; the hot path uses only `peek`/`shift`/`push`).
   */
  at(k: number): T | undefined {
    return k >= 0 && k < this.#size ? this.#items[(this.#head + k) & this.#mask] : undefined;
  }

  /**
   * Remove and return the item at the head.
   * @returns the oldest item, or `undefined` when empty.
   */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const i = this.#head;
    const item = this.#items[i];
    this.#items[i] = undefined; // let the item be collected
    this.#head = (i + 1) & this.#mask;
    this.#size--;
    return item;
  }

  #grow(): void {
    const old = this.#items;
    const length = old.length;
    const next = new Array<T | undefined>(length * 2);
    for (let k = 0; k < length; k++) next[k] = old[(this.#head + k) & this.#mask];
    this.#items = next;
    this.#head = 0;
    this.#mask = length * 2 - 1;
  }
}
