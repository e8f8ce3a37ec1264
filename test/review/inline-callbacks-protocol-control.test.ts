/**
 * `ensureDeferred`/`inlineCallbacks` driving a hand-written generator object (any object with callable `next` and
 * `throw` is driven, as Twisted does) whose `next()`/`throw()` break the iterator protocol: they return something
 * that is not an iterator result (`undefined`, a number, a revoked Proxy) or one whose `done`/`value` getter throws.
 * The driver must fail the returned Deferred with a `TypeError` (or what the getter threw), never throw out of the
 * call, never leave the Deferred pending for ever (its failure put into the yielded Deferred's chain instead), and
 * never throw out of a Promise reaction (an unhandled rejection, which ends the process).
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Deferred, ensureDeferred, inlineCallbacks, type Failure } from '../../src/index.js';
import { failureResultOf } from '../helpers/deferred-results.js';

const revoked = (): object => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};

const badResults: Array<[string, () => unknown, unknown]> = [
  ['undefined', () => undefined, TypeError],
  ['a number', () => 42, TypeError],
  ['a revoked Proxy', revoked, TypeError],
  [
    'an object whose `done` getter throws',
    () => ({
      get done(): boolean {
        throw new RangeError('done broke');
      },
    }),
    RangeError,
  ],
  [
    'an object whose `value` getter throws',
    () => ({
      done: false,
      get value(): unknown {
        throw new RangeError('value broke');
      },
    }),
    RangeError,
  ],
];

/** A generator object whose first `next()` (or, with `after`, the one after it waited on `after`) returns `bad()`. */
function brokenGenerator(bad: () => unknown, after?: unknown): Generator<unknown, unknown, unknown> {
  let calls = 0;
  const gen = {
    next(): unknown {
      calls++;
      if (after !== undefined && calls === 1) return { done: false, value: after };
      return bad();
    },
    throw(): unknown {
      return bad();
    },
    return(): unknown {
      return { done: true, value: undefined };
    },
    [Symbol.iterator]() {
      return gen;
    },
  };
  return gen as unknown as Generator<unknown, unknown, unknown>;
}

describe('ensureDeferred(generator object)', () => {
  describe.each(badResults)('whose next() returns %s', (_, bad, type) => {
    it('at the first step: errbacks with it, throws nothing out of the call', () => {
      let d: Deferred<unknown> | undefined;
      expect(() => (d = ensureDeferred(brokenGenerator(bad)))).not.toThrow();
      failureResultOf(d!, type as never);
    });

    it('when resumed by a yielded Deferred: errbacks, and the yielded Deferred keeps no failure', () => {
      const waited = new Deferred<string>();
      const d = ensureDeferred(brokenGenerator(bad, waited));
      expect(() => waited.callback('go')).not.toThrow();
      failureResultOf(d, type as never);
      let seen: unknown = 'nothing';
      waited.addBoth((r) => (seen = r));
      expect(seen).toBeUndefined(); // consumed, as after any resume
    });

    it('when resumed by a Promise: errbacks (the resume is a Promise reaction: a throw there was a rejection)', async () => {
      const d = ensureDeferred(brokenGenerator(bad, Promise.resolve('go')));
      const failure = await new Promise<Failure>((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error('the Deferred never fired')), 5_000); // a hang guard only
        d.addErrback((f: Failure) => {
          clearTimeout(guard);
          resolve(f);
        });
      });
      expect(failure.check(type as never)).not.toBeNull();
    });
  });
});

describe('inlineCallbacks', () => {
  it('whose generator function returns an object whose next() returns undefined: errbacks with TypeError', () => {
    const f = inlineCallbacks(() => brokenGenerator(() => undefined));
    let d: Deferred<unknown> | undefined;
    expect(() => (d = f())).not.toThrow();
    failureResultOf(d!, TypeError);
  });
});
