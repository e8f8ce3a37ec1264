/**
 * Synchronous assertions on Deferreds, as Twisted's `SynchronousTestCase.successResultOf` / `failureResultOf`.
 *
 * Deferreds fire synchronously, so a test can drive the code (and a `Clock`) and then read the result at once,
 * without awaiting.
 *
 * @module
 */
import { Deferred } from '../../src/deferred/deferred.js';
import { Failure, type ErrorType } from '../../src/deferred/failure.js';

type Peek = { state: 'pending' } | { state: 'succeeded'; value: unknown } | { state: 'failed'; failure: Failure };

/** Read the current result without changing it; an observed failure no longer counts as unhandled. */
function peek(d: Deferred<unknown>): Peek {
  let seen = { state: 'pending' } as Peek;
  d.addBoth((result) => {
    seen = result instanceof Failure ? { state: 'failed', failure: result } : { state: 'succeeded', value: result };
    return result;
  });
  if (seen.state === 'failed') {
    // Observing through then() marks the failure handled for unhandled-error reporting; the rejection is expected.
    d.then(undefined, () => undefined).catch(() => undefined);
  }
  return seen;
}

/**
 * The success result `d` holds right now.
 *
 * @throws Error when `d` has no result yet or holds a failure (with its traceback).
 */
export function successResultOf<T>(d: Deferred<T>): T {
  const seen = peek(d);
  if (seen.state === 'pending') throw new Error(`Expected ${d.toString()} to have a result, but it has none`);
  if (seen.state === 'failed') {
    throw new Error(`Expected ${d.toString()} to succeed, but it failed:\n${seen.failure.getTraceback()}`);
  }
  return seen.value as T;
}

/**
 * The `Failure` `d` holds right now, optionally checked against `types`.
 *
 * @throws Error when `d` has no result, succeeded, or failed with none of `types`.
 */
export function failureResultOf(d: Deferred<unknown>, ...types: ErrorType[]): Failure {
  const seen = peek(d);
  if (seen.state === 'pending') throw new Error(`Expected ${d.toString()} to have a result, but it has none`);
  if (seen.state === 'succeeded') {
    throw new Error(`Expected ${d.toString()} to fail, but it succeeded with ${String(seen.value)}`);
  }
  if (types.length > 0 && seen.failure.check(...types) === null) {
    const names = types.map((t) => t.name).join(', ');
    throw new Error(`Expected a failure of type ${names}, got:\n${seen.failure.getTraceback()}`);
  }
  return seen.failure;
}

/**
 * Assert `d` has no result yet.
 *
 * @throws Error when `d` has a result (the result is left as it was).
 */
export function assertNoResult(d: Deferred<unknown>): void {
  const seen = peek(d);
  if (seen.state !== 'pending') throw new Error(`Expected ${d.toString()} to have no result yet`);
}

/**
 * Counts how many times `d` fires, passing its result on unchanged (so the test still reads its failure, unlike
 * thread-test-kit's `countFirings`, which consumes it).
 * @returns a live count.
 */
export function firingCounter(d: Deferred<unknown>): { readonly count: number } {
  const seen = { count: 0 };
  d.addBoth((result) => {
    seen.count++;
    return result;
  });
  return seen;
}
