import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { Failure } from '../../src/deferred/failure.js';
import { maybeDeferred } from '../../src/deferred/maybe-deferred.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';

describe('maybeDeferred()', () => {
  it('succeeds with a plain return value, calling with the arguments', () => {
    expect(successResultOf(maybeDeferred((a: number, b: number) => a * b, 6, 7))).toBe(42);
  });

  it('turns a thrown error into a failed Deferred', () => {
    const d = maybeDeferred(() => {
      throw new SyntaxError('thrown');
    });
    failureResultOf(d, SyntaxError);
  });

  it('returns a returned Deferred as the same object', () => {
    const inner = new Deferred<number>();
    expect(maybeDeferred(() => inner)).toBe(inner);
  });

  it('fails with a returned Failure', () => {
    const f = new Failure(new Error('returned failure'));
    expect(failureResultOf(maybeDeferred(() => f))).toBe(f);
  });

  it("fails with the error of a returned object's throwing `then` getter, as a Promise resolved with it rejects", () => {
    const bad = new Error('then getter');
    const d = maybeDeferred(() =>
      Object.defineProperty({}, 'then', {
        get() {
          throw bad;
        },
      }),
    );
    expect(failureResultOf(d).value).toBe(bad);
  });

  it('follows a returned Promise', async () => {
    const d = maybeDeferred(async () => 'async value');
    expect(d).toBeInstanceOf(Deferred);
    await expect(d).resolves.toBe('async value');
  });
});
