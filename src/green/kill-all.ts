/**
 * `killAll`: kill many greenlets (gevent's `killall`).
 *
 * @module
 */
import { Deferred } from '../deferred/deferred.js';
import { GreenletExit } from '../errors.js';
import { fail } from '../deferred/fail.js';
import { badGreenletItem, badIterable } from './bad-iterable.js';
import { Greenlet } from './greenlet.js';

/**
 * Kill every greenlet (each gets the exception at its switch point; those not started never run).
 *
 * @param greenlets - the greenlets.
 * @param exception - an error instance or class; default `GreenletExit`.
 * @returns a Deferred firing `undefined` once all are dead (errbacking at once if killing one of them threw, or
 *   one is not a Greenlet — a `TypeError` —; the others are killed all the same; a `TypeError` when `greenlets` is
 *   not iterable).
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
  const notIterable = badIterable(greenlets, 'greenlets', 'Greenlets');
  if (notIterable !== null) return fail(notIterable);
  let thrown: { error: unknown } | null = null;
  for (const g of [...greenlets]) {
    if (!(g instanceof Greenlet)) {
      thrown ??= { error: badGreenletItem(g) }; // the others are still killed
      continue;
    }
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
