/**
 * `iteratorResult`: the one check that what a generator's `next()`/`throw()` returned is an iterator result, for every
 * place that drives a generator by hand (the Deferred's `inlineCallbacks`, a greenlet's steps, `yieldFrom`, the
 * inline route's watched generator, a task run to completion in a worker).
 *
 * Why it is needed: greenreactor's one definition of a generator (src/deferred/is-generator.ts) is "an object with
 * callable `next` and `throw`", so a hand-written object may return anything from them. Read unchecked, `r.done` of
 * `undefined` throws wherever the driver happens to be: out of a hub's turn (an uncaught exception that ends the
 * process), out of a Promise reaction (an unhandled rejection), or into a Deferred chain that is not the caller's.
 * Called inside the driver's own `try`, the named TypeError fails the run that owns the generator instead.
 *
 * @module
 */
import { describeValue } from './describe-value.js';

/**
 * Returns `next` when it is an object (an iterator result's `done` and `value` can be read from it: a getter that
 * throws is the caller's code failing, to be caught by the driver like a throw from `next()` itself).
 *
 * @param next - what `next()` or `throw()` returned.
 * @returns `next`, typed as an iterator result.
 * @throws TypeError when `next` is not an object.
 */
export function iteratorResult(next: unknown): IteratorResult<unknown, unknown> {
  if ((typeof next === 'object' && next !== null) || typeof next === 'function') return next as IteratorResult<unknown, unknown>;
  throw new TypeError(`Expected the generator's next()/throw() to return an iterator result object, got ${describeValue(next)}`);
}
