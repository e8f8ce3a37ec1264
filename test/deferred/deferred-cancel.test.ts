import { describe, expect, it, jest } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { AlreadyCalledError, CancelledError } from '../../src/errors.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { nextTurn } from '../helpers/next-turn.js';

describe('Deferred', () => {
  describe('.cancel()', () => {
    it('calls the canceller once with the Deferred', () => {
      const canceller = jest.fn<(d: Deferred<number>) => void>();
      const d = new Deferred<number>(canceller);
      d.cancel();
      expect(canceller).toHaveBeenCalledTimes(1);
      expect(canceller).toHaveBeenCalledWith(d);
      failureResultOf(d, CancelledError);
    });

    it('errbacks with CancelledError when the canceller does not fire the Deferred', () => {
      const d = new Deferred<number>(() => undefined);
      d.cancel();
      const f = failureResultOf(d, CancelledError);
      expect(f.value).toMatchObject({ name: 'CancelledError', code: 'ERR_CANCELLED' });
    });

    it('keeps the result the canceller fired', () => {
      const d = new Deferred<string>((self) => self.callback('cancelled nicely'));
      d.cancel();
      expect(successResultOf(d)).toBe('cancelled nicely');
    });

    it('errbacks with the error a throwing canceller threw', () => {
      const d = new Deferred<string>(() => {
        throw new RangeError('canceller broke');
      });
      d.cancel();
      expect(failureResultOf(d, RangeError).getErrorMessage()).toBe('canceller broke');
    });

    it('without a canceller, ignores exactly one later callback or errback', () => {
      const d = new Deferred<number>();
      d.cancel();
      failureResultOf(d, CancelledError);
      expect(() => d.callback(1)).not.toThrow();
      expect(() => d.errback(new Error('second'))).toThrow(AlreadyCalledError);
      failureResultOf(d, CancelledError);
    });

    it('with a canceller that did not fire it, throws AlreadyCalledError on a later callback', () => {
      const d = new Deferred<number>(() => undefined);
      d.cancel();
      expect(() => d.callback(1)).toThrow(AlreadyCalledError);
      failureResultOf(d, CancelledError);
    });

    it('is a no-op once the Deferred has its result', () => {
      const canceller = jest.fn<(d: Deferred<number>) => void>();
      const d = new Deferred<number>(canceller);
      d.callback(1);
      d.cancel();
      d.cancel();
      expect(canceller).not.toHaveBeenCalled();
      expect(successResultOf(d)).toBe(1);
    });

    it('cancels the chained Deferred it waits on, with that one\'s canceller, not its own', () => {
      const outerCanceller = jest.fn<(d: Deferred<number>) => void>();
      const innerCanceller = jest.fn<(d: Deferred<number>) => void>();
      const outer = new Deferred<number>(outerCanceller);
      const inner = new Deferred<number>(innerCanceller);
      outer.addCallback(() => inner);
      outer.callback(1);
      outer.cancel();
      expect(innerCanceller).toHaveBeenCalledTimes(1);
      expect(outerCanceller).not.toHaveBeenCalled();
      failureResultOf(outer, CancelledError);
    });

    it('gets the chained Deferred\'s cancellation outcome, even a success', () => {
      const outer = new Deferred<number>();
      const inner = new Deferred<number>((self) => self.callback(99));
      outer.addCallback(() => inner);
      outer.callback(1);
      outer.cancel();
      expect(successResultOf(outer)).toBe(99);
    });

    it('errbacks at once when waiting on a Promise and drops its late outcome', async () => {
      let resolve!: (n: number) => void;
      const p = new Promise<number>((r) => (resolve = r));
      const d = new Deferred<number>();
      const seen: unknown[] = [];
      d.addCallback(() => p).addBoth((r) => {
        seen.push(r);
        return r;
      });
      d.callback(0);
      d.cancel();
      expect(seen).toHaveLength(1);
      failureResultOf(d, CancelledError);
      resolve(5);
      await nextTurn(); // every reaction to p has run, however many hops the Deferred takes
      expect(seen).toHaveLength(1);
      failureResultOf(d, CancelledError);
    });

    it('drops a late rejection of the Promise it was waiting on, too', async () => {
      let reject!: (e: Error) => void;
      const p = new Promise<number>((_, r) => (reject = r));
      const d = new Deferred<number>();
      d.addCallback(() => p);
      d.callback(0);
      d.cancel();
      reject(new Error('late'));
      p.catch(() => undefined);
      await nextTurn();
      const f = failureResultOf(d, CancelledError);
      expect(f.getErrorMessage()).not.toContain('late');
    });

    it('does nothing to a Deferred that is only paused by the user', () => {
      const d = new Deferred<number>();
      d.callback(1);
      d.pause();
      d.cancel();
      d.unpause();
      expect(successResultOf(d)).toBe(1);
    });

    it('runs the errbacks of a pending Deferred with the CancelledError', () => {
      const d = new Deferred<number>();
      let seen: unknown;
      d.addErrback((f) => (seen = f.value));
      d.cancel();
      expect(seen).toBeInstanceOf(CancelledError);
      assertNoResultAfterHandled(d);
    });
  });
});

function assertNoResultAfterHandled(d: Deferred<unknown>): void {
  expect(() => assertNoResult(d)).toThrow();
}
