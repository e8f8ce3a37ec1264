/**
 * `callToCompletion`: how a worker runs a task function — the thread path's half of "the same task behaves the same
 * on every route" (SPEC §3).
 *
 * Plain functions return their value, async functions give their Promise (the caller awaits it), generator functions
 * run to completion: a yielded Promise/thenable is awaited and its value sent back in (a rejection is thrown in), any
 * other yielded value is sent straight back. A generator that yields nothing waitable runs synchronously, with no
 * microtask hop; from its first waitable yield on it runs asynchronously.
 *
 * @module
 */
import { isGenerator } from '../deferred/is-generator.js';
import { isThenable } from '../is-thenable.js';
import { iteratorResult } from '../iterator-result.js';

/** A task function as the worker calls it. */
export type TaskFunction = (...args: unknown[]) => unknown;

/**
 * Calls `fn(...args)` and, if it gave a generator, runs that generator to completion.
 * @param fn - the task function.
 * @param args - its arguments.
 * @returns the function's value, its Promise, or the generator's return value (a Promise of it once it waited).
 * @throws whatever `fn` or a synchronous generator step throws.
 */
export function callToCompletion(fn: TaskFunction, args: readonly unknown[]): unknown {
  const result = fn(...args);
  return isGenerator(result) ? drive(result) : result;
}

/** Runs a generator to completion; synchronously until it yields a thenable, then asynchronously. */
function drive(gen: Generator<unknown, unknown, unknown>): unknown {
  let step = iteratorResult(gen.next());
  while (step.done !== true) {
    let thenable: boolean;
    try {
      thenable = isThenable(step.value);
    } catch (error) {
      step = iteratorResult(gen.throw(error)); // its `then` getter threw: thrown back in at the yield, as on a greenlet
      continue;
    }
    if (thenable) return driveAsync(gen, step.value as PromiseLike<unknown>);
    step = iteratorResult(gen.next(step.value));
  }
  return step.value;
}

async function driveAsync(gen: Generator<unknown, unknown, unknown>, waiting: PromiseLike<unknown>): Promise<unknown> {
  let step: IteratorResult<unknown, unknown>;
  try {
    step = iteratorResult(gen.next(await waiting));
  } catch (error) {
    step = iteratorResult(gen.throw(error));
  }
  while (step.done !== true) {
    let thenable: boolean;
    try {
      thenable = isThenable(step.value);
    } catch (error) {
      step = iteratorResult(gen.throw(error)); // its `then` getter threw: thrown back in at the yield
      continue;
    }
    if (thenable) {
      try {
        step = iteratorResult(gen.next(await step.value));
      } catch (error) {
        step = iteratorResult(gen.throw(error));
      }
    } else {
      step = iteratorResult(gen.next(step.value));
    }
  }
  return step.value;
}
