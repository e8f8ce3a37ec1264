/**
 * `Failure` holding hostile values, and the code that describes them: `getErrorMessage()` and `toString()` must
 * return a string whatever the error is (a `Symbol` or an object as its `message`, a constructor whose `name` getter
 * throws or is a `Symbol`), because the combinators build their `FirstError`'s message
 * from it inside a member's handler: a throw there failed the member's chain instead and left `gatherResults()` or
 * a `DeferredList` with `fireOnOneErrback` pending for ever (a later `cancel()` then failed with "not iterable").
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Deferred, DeferredList, Failure, FirstError, gatherResults } from '../../src/index.js';
import { failureResultOf } from '../helpers/deferred-results.js';

/** An Error whose `message` is `message` (not a string). */
function errorWithMessage(message: unknown): Error {
  const error = new Error('replaced');
  Object.defineProperty(error, 'message', { value: message });
  return error;
}

class NamelessError extends Error {
  static override get name(): string {
    throw new Error('name getter');
  }
}

const hostile: Array<[string, () => unknown]> = [
  ['an Error whose message is a Symbol', () => errorWithMessage(Symbol('m'))],
  ['an Error whose message is an object whose toString throws', () => errorWithMessage({ toString: () => { throw new Error('no'); } })],
  ['an error whose constructor has a throwing name getter', () => new NamelessError('nameless')],
  ['an object whose constructor has a Symbol name', () => ({ constructor: Object.defineProperty(function () {}, 'name', { value: Symbol('n') }) })],
];

describe('Failure with hostile values', () => {
  it.each(hostile)('getErrorMessage() and toString() of %s return strings', (_name, make) => {
    const failure = new Failure(make());
    expect(typeof failure.getErrorMessage()).toBe('string');
    expect(typeof failure.toString()).toBe('string');
    const d = new Deferred<number>();
    d.errback(failure);
    expect(typeof d.toString()).toBe('string');
    d.addErrback(() => undefined);
  });
});

const combinators: Array<[string, (members: Array<Deferred<number>>) => Deferred<unknown>]> = [
  ['gatherResults()', (members) => gatherResults(members, true)],
  ['new DeferredList() with fireOnOneErrback', (members) => new DeferredList(members, { fireOnOneErrback: true, consumeErrors: true })],
];

describe.each(combinators)('%s', (_name, combine) => {
  it.each(hostile)('errbacks with FirstError when a member fails with %s', (_what, make) => {
    const members = [new Deferred<number>(), new Deferred<number>()];
    const combined = combine(members);
    const value = make();
    members[1]!.errback(value);
    const first = failureResultOf(combined, FirstError).value as FirstError;
    expect(first.index).toBe(1);
    expect(first.subFailure.value).toBe(value);
    expect(typeof first.message).toBe('string');
  });
});
