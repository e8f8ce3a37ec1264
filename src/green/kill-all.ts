/**
 * `killAll`: kill many greenlets (gevent's `killall`).
 *
 * @module
 */
import { Deferred } from '../deferred/deferred.js';
import { GreenletExit } from '../errors.js';
import type { Greenlet } from './greenlet.js';

/**
 * Kill every greenlet (each gets the exception at its switch point; those not started never run).
 *
 * @param greenlets - the greenlets.
 * @param exception - an error instance or class; default `GreenletExit`.
 * @returns a Deferred firing `undefined` once all are dead (errbacking at once if killing one of them threw; the
 *   others are killed all the same).
 * @example
 * ```ts
 * yield killAll(workers);
 * ```
 */
export function killAll(greenlets: Iterable<Greenlet<any>>, exception?: unknown): Deferred<void> {
  const result = new Deferred<void>();
  let remaining = 1;
  const one = (): void => {
    if (--remaining === 0 && !result.called) result.callback(undefined);
  };
  let thrown: { error: unknown } | null = null;
  for (const g of [...greenlets]) {
    remaining++;
    try {
      g.kill(exception ?? new GreenletExit()).addCallback(one);
    } catch (error: unknown) {
      thrown ??= { error }; // e.g. an exception class whose constructor throws: the others are still killed
      one();
    }
  }
  if (thrown !== null) {
    result.errback(thrown.error);
    return result;
  }
  one();
  return result;
}
