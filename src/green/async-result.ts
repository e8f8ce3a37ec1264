/**
 * `AsyncResult`: a one-slot result greenlets can wait on (gevent's `AsyncResult`).
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';
import { fail } from '../deferred/fail.js';
import { succeed } from '../deferred/succeed.js';
import { TimeoutError } from '../errors.js';
import { getDefaultHub } from './default-hub.js';
import type { Hub } from './hub.js';
import { badTimeout } from './bad-timeout.js';
import { WaiterList } from './waiter-list.js';

/**
 * A value or an exception that arrives later; every `get` waiter receives it.
 *
 * Why over a Deferred: it can be set again (the new outcome replaces the old one for later readers, gevent's
 * rule), and each reader waits with its own timeout. Waitable: `yield result.get()` or `await result`.
 *
 * @typeParam T - the value type.
 * @example
 * ```ts
 * const r = new AsyncResult<number>();
 * hub.spawn(function* () { console.log(yield r.get()); });
 * r.set(42);
 * ```
 */
export class AsyncResult<T = unknown> implements PromiseLike<T> {
  #state: 'pending' | 'succeeded' | 'failed' = 'pending';
  #value: T | undefined = undefined;
  #exception: unknown = undefined;
  readonly #waiters = new WaiterList<T>();
  readonly #hub: Hub | undefined;

  /** @param hub - whose clock times `get` timeouts; default: the default reactor's hub. */
  constructor(hub?: Hub) {
    this.#hub = hub;
  }

  /** The value once set successfully; `undefined` otherwise. */
  get value(): T | undefined {
    return this.#value;
  }

  /** The exception once set with `setException`; `undefined` otherwise. */
  get exception(): unknown {
    return this.#exception;
  }

  /** @returns true once set (either way). */
  ready(): boolean {
    return this.#state !== 'pending';
  }

  /** @returns true once set with a value. */
  successful(): boolean {
    return this.#state === 'succeeded';
  }

  /**
   * Store a value and wake every waiter; setting again overwrites.
   * @param value - the value.
   */
  set(value: T): void {
    this.#state = 'succeeded';
    this.#value = value;
    this.#exception = undefined;
    this.#wake();
  }

  /**
   * Store an exception and wake every waiter (they errback); setting again overwrites.
   * @param exception - the error.
   */
  setException(exception: unknown): void {
    this.#state = 'failed';
    this.#exception = exception;
    this.#value = undefined;
    this.#wake();
  }

  /**
   * Wait for the outcome.
   *
   * @param timeoutMs - give up after this long (hub clock) with `TimeoutError`.
   * @returns a Deferred firing with the value or errbacking with the exception (at once when set).
   */
  get(timeoutMs?: number): Deferred<T> {
    const bad = badTimeout<T>(timeoutMs);
    if (bad !== null) return bad;
    if (this.#state !== 'pending') return this.#state === 'succeeded' ? succeed(this.#value as T) : fail<T>(this.#exception);
    return this.#waiters.add(
      undefined,
      timeoutMs,
      () => this.#hub ?? getDefaultHub(),
      () => ({ error: new TimeoutError(`AsyncResult.get() timed out after ${String(timeoutMs)} ms`) }),
    );
  }

  /** `await result`: the value, or throws the exception. */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.get().then(onFulfilled, onRejected);
  }

  #wake(): void {
    for (let w = this.#waiters.shift(); w !== undefined; w = this.#waiters.shift()) this.#fire(w.d);
  }

  #fire(d: Deferred<T>): void {
    if (this.#state === 'succeeded') d.callback(this.#value as T);
    else d.errback(this.#exception);
  }
}
