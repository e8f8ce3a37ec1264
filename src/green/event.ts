/**
 * `Event`: a flag greenlets can wait on (gevent's `Event`).
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';
import { succeed } from '../deferred/succeed.js';
import { getDefaultHub } from './default-hub.js';
import type { Hub } from './hub.js';
import { badTimeout } from './bad-timeout.js';
import { WaiterList } from './waiter-list.js';

/**
 * A flag that wakes every waiter when set, and stays set until cleared.
 *
 * Why: one greenlet signals a condition (data ready, shutdown) and any number wait for it, each with its own
 * timeout. Waitable: `yield event.wait()`, `await event.wait(100)`, or `await event` (waits without a timeout).
 *
 * @example
 * ```ts
 * const ready = new Event();
 * hub.spawn(function* () { if (yield ready.wait(1000)) console.log('go'); });
 * ready.set();
 * ```
 */
export class Event implements PromiseLike<boolean> {
  #set = false;
  readonly #waiters = new WaiterList<boolean, number>(); // data: how many `set()` calls had begun when it came
  #sets = 0;
  readonly #hub: Hub | undefined;

  /** @param hub - whose clock times `wait` timeouts; default: the default reactor's hub. */
  constructor(hub?: Hub) {
    this.#hub = hub;
  }

  /**
   * Set the flag and wake every waiter, in the order they started waiting. Only those waiting when it was called:
   * a `wait()` begun by a waiter's callback after it cleared the flag again waits for the next `set()`.
   */
  set(): void {
    this.#set = true;
    const upTo = this.#sets++;
    const before = (came: number): boolean => came <= upTo;
    for (let w = this.#waiters.shiftIf(before); w !== undefined; w = this.#waiters.shiftIf(before)) w.d.callback(true);
  }

  /** Reset the flag; later `wait` calls block until the next `set`. */
  clear(): void {
    this.#set = false;
  }

  /** @returns true while the flag is set. */
  isSet(): boolean {
    return this.#set;
  }

  /**
   * Wait for the flag.
   *
   * @param timeoutMs - give up after this long (hub clock).
   * @returns a Deferred firing `true` once set (at once if set now), `false` on timeout.
   */
  wait(timeoutMs?: number): Deferred<boolean> {
    const bad = badTimeout<boolean>(timeoutMs);
    if (bad !== null) return bad;
    if (this.#set) return succeed(true);
    return this.#waiters.add(this.#sets, timeoutMs, () => this.#hub ?? getDefaultHub(), () => ({ value: false }));
  }

  /** `await event`: waits until set, without a timeout. */
  then<R1 = boolean, R2 = never>(
    onFulfilled?: ((value: boolean) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.wait().then(onFulfilled, onRejected);
  }
}
