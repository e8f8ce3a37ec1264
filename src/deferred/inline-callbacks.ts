/**
 * `inlineCallbacks`: write Deferred-returning code as a generator.
 *
 * @module
 */
import type { Deferred } from './deferred.js';
import { driveGenerator } from './drive-generator.js';
import { fail } from './fail.js';
import { isGenerator } from './is-generator.js';
import { safeString } from '../safe-string.js';
import { functionName } from '../function-name.js';

/**
 * Turn a generator function into a function returning a Deferred (Twisted's `@inlineCallbacks`).
 *
 * Inside the generator, `yield d` (a Deferred, Promise or thenable) waits for it and evaluates to its result, or
 * throws its failure's value; yielding anything else gives it straight back. The generator runs synchronously up
 * to its first real wait, and already-fired Deferreds resume it at once without growing the stack. Its return
 * value fires the returned Deferred. Unlike an `async` function it is cancellable: cancelling the returned
 * Deferred cancels the Deferred being waited on and throws the resulting error into the generator.
 *
 * @param generatorFunction - a `function*`; `this` and the arguments are passed through.
 * @returns a function with the same parameters returning a Deferred of the generator's return value.
 * @example
 * ```ts
 * const fetchBoth = inlineCallbacks(function* (a: string, b: string) {
 *   const first: string = yield getPage(a);
 *   const second: string = yield getPage(b);
 *   return first + second;
 * });
 * fetchBoth('x', 'y').addCallback(console.log);
 * ```
 */
export function inlineCallbacks<A extends unknown[], R, This = unknown>(
  generatorFunction: (this: This, ...args: A) => Generator<unknown, R, any>,
): (this: This, ...args: A) => Deferred<Awaited<R>> {
  if (typeof generatorFunction !== 'function') {
    throw new TypeError(
      `Expected \`generatorFunction\` to be a generator function, got \`${safeString(generatorFunction)}\` (${typeof generatorFunction})`,
    );
  }
  return function (this: This, ...args: A): Deferred<Awaited<R>> {
    let gen: Generator<unknown, R, any>;
    try {
      gen = generatorFunction.apply(this, args);
    } catch (error) {
      return fail(error);
    }
    let generator: boolean;
    try {
      generator = isGenerator(gen);
    } catch (error) {
      return fail(error); // a `next`/`throw` getter of what it returned threw (user code)
    }
    if (!generator) {
      return fail(
        new TypeError(
          `inlineCallbacks expected ${functionName(generatorFunction, 'the function')} to return a generator; is it a function*?`,
        ),
      );
    }
    return driveGenerator(gen);
  };
}
