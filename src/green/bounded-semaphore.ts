/**
 * `BoundedSemaphore`: a `Semaphore` that refuses to be released past its start value.
 *
 * @module
 */
import type { Hub } from './hub.js';
import { Semaphore } from './semaphore.js';

/**
 * A {@link Semaphore} whose `release` throws when every token is already free (gevent's `BoundedSemaphore`).
 *
 * Why: with the usual acquire/release pairing, an extra release is a bug; this catches it where it happens.
 *
 * @example
 * ```ts
 * const sem = new BoundedSemaphore(1);
 * sem.release(); // throws RangeError
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /** The start value, which `counter` may never exceed. */
  readonly limit: number;

  /**
   * @param value - the tokens free at the start (an integer >= 0).
   * @param hub - whose clock times `acquire` timeouts.
   * @throws RangeError when `value` is negative or not an integer.
   */
  constructor(value = 1, hub?: Hub) {
    super(value, hub);
    this.limit = value;
  }

  /**
   * `release()` gives a token back.
   * @throws RangeError when it was not taken (the counter is already at its start value).
   */
  protected override checkRelease(): void {
    if (this.counter >= this.limit) {
      throw new RangeError(`Semaphore released too many times (limit ${this.limit})`);
    }
  }
}
