/**
 * `killAll`: kill many greenlets (gevent's `killall`).
 *
 * @module
 */
import { Deferred } from '../deferred/deferred.js';
import { GreenletExit } from '../errors.js';
import { fail } from '../deferred/fail.js';
import { badGreenletItem, badIterable } from './bad-iterable.js';
import { Greenlet, isGreenlet } from './greenlet.js';
import { killException } from './kill-exception.js';

/**
 * Kill every greenlet (each gets the exception at its switch point; those not started never run).
 *
 * @param greenlets - the greenlets.
 * @param exception - an error instance or class; default `GreenletExit`.
 * @returns a Deferred firing `undefined` once all are dead (errbacking at once if killing one of them threw, or
 *   one is not a Greenlet — a `TypeError` —; the others are killed all the same; a `TypeError`, killing none, when
 *   `greenlets` is not iterable or `exception` is a function that cannot be made with `new` and no arguments).
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
  if (exception !== undefined) {
    const made = killException(exception); // tried once up front: bad input kills none of them
    if ('error' in made) return fail(made.error);
  }
  let thrown: { error: unknown } | null = null;
  for (const g of [...greenlets]) {
    if (!isGreenlet(g)) {
      thrown ??= { error: badGreenletItem(g) }; // the others are still killed
      continue;
    }
    remaining++;
    try {
      g.kill(exception ?? new GreenletExit()).addCallback(one);
    } catch (error: unknown) {
      thrown ??= { error }; // kill errbacks on bad input, so not expected; one that threw must not stop the rest
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
