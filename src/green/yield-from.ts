/**
 * `yieldFrom`: delegate a greenlet's generator to another generator object, driven by `next`/`throw`.
 *
 * @module
 */
import { iteratorResult } from '../iterator-result.js';

/**
 * A generator that drives `gen` with `next`/`throw` and passes every yielded value up and every sent value or
 * thrown-in exception down — `yield*` without needing `Symbol.iterator`.
 *
 * Why: greenreactor's one definition of a generator (src/deferred/is-generator.ts) is "an object with callable
 * `next` and `throw`"; `yield*` would reject such an object that is not iterable ("not iterable"), so the same task
 * would behave differently per route.
 *
 * @param gen - the generator object.
 * @returns a generator to `yield*` from a greenlet's generator; it returns what `gen` returns.
 */
export function* yieldFrom(gen: Generator<unknown, unknown, unknown>): Generator<unknown, unknown, unknown> {
  let send: unknown = undefined;
  let throwing = false;
  for (;;) {
    const r = iteratorResult(throwing ? gen.throw(send) : gen.next(send));
    if (r.done === true) return r.value;
    try {
      send = yield r.value;
      throwing = false;
    } catch (error: unknown) {
      send = error;
      throwing = true;
    }
  }
}
