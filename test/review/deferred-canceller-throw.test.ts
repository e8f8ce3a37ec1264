/**
 * A canceller that fires its own Deferred and then throws. The Deferred has its result (the canceller's), so the
 * error cannot go through it, and `cancel()` must not throw it: cancel() is called from places that cannot take an
 * exception (a timeout's timer, a combinator cancelling its members, a generator's canceller), where Twisted's
 * choice (raise it out of `cancel()`) would crash a timer tick or skip the remaining members. The error used to be
 * dropped silently; it now goes to the unhandled-error handler at once, as an error nobody can handle.
 *
 * @module
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Clock, Deferred, DeferredList } from '../../src/index.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { captureReports, restoreUnhandledErrorHandler, useUnhandledErrorHandler } from '../helpers/unhandled-reports.js';

afterEach(restoreUnhandledErrorHandler);

/** A Deferred whose canceller fires it with `fire` and then throws `error`. */
function firesThenThrows(fire: (d: Deferred<number>) => void, error: Error): Deferred<number> {
  return new Deferred<number>((d) => {
    fire(d);
    throw error;
  });
}

describe('Deferred', () => {
  describe('.cancel()', () => {
    it('keeps the result a canceller fired before it threw and reports the thrown error once', () => {
      const reports = captureReports();
      const d = firesThenThrows((x) => x.callback(1), new RangeError('after firing'));
      expect(() => d.cancel()).not.toThrow();
      expect(successResultOf(d)).toBe(1);
      expect(reports).toHaveLength(1);
      expect(reports[0]!.check(RangeError)).toBe(RangeError);
      expect(reports[0]!.getErrorMessage()).toBe('after firing');
    });

    it('keeps the failure a canceller fired before it threw and reports the thrown error', () => {
      const reports = captureReports();
      const d = firesThenThrows((x) => x.errback(new TypeError('fired')), new RangeError('after firing'));
      d.cancel();
      expect(failureResultOf(d, TypeError).getErrorMessage()).toBe('fired');
      expect(reports.map((f) => f.getErrorMessage())).toEqual(['after firing']);
    });

    it('reports nothing when a throwing canceller had not fired the Deferred (the error fails it)', () => {
      const reports = captureReports();
      const d = new Deferred<number>(() => {
        throw new RangeError('canceller broke');
      });
      d.cancel();
      failureResultOf(d, RangeError);
      expect(reports).toHaveLength(0);
    });

    it('does not throw when the unhandled-error handler throws while reporting it', () => {
      const thrower = jest.fn(() => {
        throw new Error('handler broke');
      });
      useUnhandledErrorHandler(thrower);
      const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const d = firesThenThrows((x) => x.callback(1), new RangeError('after firing'));
        expect(() => d.cancel()).not.toThrow();
        expect(thrower).toHaveBeenCalledTimes(1);
        expect(successResultOf(d)).toBe(1);
      } finally {
        consoleError.mockRestore();
      }
    });
  });

  describe('.addTimeout()', () => {
    it('times out through a canceller that fired and threw without throwing out of the clock', () => {
      const reports = captureReports();
      const clock = new Clock();
      const d = firesThenThrows((x) => x.errback(new Error('gave up')), new RangeError('after firing'));
      d.addTimeout(10, clock);
      expect(() => clock.advance(10)).not.toThrow();
      failureResultOf(d, Error);
      expect(d.called).toBe(true);
      expect(reports).toHaveLength(1);
    });
  });
});

describe('DeferredList', () => {
  it('cancelled, cancels every member when one member\'s canceller fires and throws', () => {
    const reports = captureReports();
    const first = firesThenThrows((x) => x.callback(1), new RangeError('after firing'));
    const second = new Deferred<number>();
    const list = new DeferredList([first, second], { consumeErrors: true });
    list.cancel();
    expect(successResultOf(first)).toBe(1);
    expect(second.called).toBe(true);
    expect(list.called).toBe(true);
    expect(reports).toHaveLength(1);
  });
});
