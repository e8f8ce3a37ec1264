/**
 * `chainDeferred` links of any length: `d1.chainDeferred(d2)`, `d2.chainDeferred(d3)`, … SPEC §1 asks for chains of
 * any length to run without stack growth. Each link used to fire the next Deferred from inside a handler, one
 * nested callback chain per link, so about 5,000 links overflowed the stack and the last Deferred never fired.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { AlreadyCalledError, CancelledError, Deferred, type Failure } from '../../src/index.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';

/** Far deeper than the JavaScript stack allows for one nested chain per link. */
const links = 100_000;

/** `count` Deferreds, each chained to the next, with a handler on each recording the order they fired in. */
function chained(count: number, fired: number[]): Array<Deferred<number>> {
  const ds = Array.from({ length: count }, () => new Deferred<number>());
  ds.forEach((d, i) => {
    d.addBoth((result: number | Failure) => {
      fired.push(i);
      return result;
    });
  });
  for (let i = 0; i + 1 < count; i++) ds[i]!.chainDeferred(ds[i + 1]!);
  return ds;
}

describe('Deferred', () => {
  describe('.chainDeferred()', () => {
    it(`fires every Deferred of ${links.toLocaleString('en-US')} chained links once, in order, with the result`, () => {
      const fired: number[] = [];
      const ds = chained(links, fired);
      expect(() => ds[0]!.callback(7)).not.toThrow();
      expect(successResultOf(ds[links - 1]!)).toBe(7);
      expect(fired).toEqual(Array.from({ length: links }, (_, i) => i));
      expect(successResultOf(ds[0]!)).toBeUndefined();
    });

    it(`passes a failure down ${links.toLocaleString('en-US')} chained links, each firing once`, () => {
      const fired: number[] = [];
      const ds = chained(links, fired);
      ds[0]!.errback(new RangeError('boom'));
      expect(failureResultOf(ds[links - 1]!, RangeError).getErrorMessage()).toBe('boom');
      expect(fired).toHaveLength(links);
    });

    it('fires the whole chain below before the handlers added after chainDeferred run', () => {
      const order: string[] = [];
      const a = new Deferred<number>();
      const b = new Deferred<number>();
      const c = new Deferred<number>();
      a.chainDeferred(b).addCallback(() => order.push('a after'));
      b.chainDeferred(c).addCallback(() => order.push('b after'));
      c.addCallback((n) => order.push(`c ${n}`));
      a.callback(1);
      expect(order).toEqual(['c 1', 'b after', 'a after']);
    });

    it('fails the chain with AlreadyCalledError when the other Deferred already fired', () => {
      const a = new Deferred<number>();
      const b = new Deferred<number>();
      a.chainDeferred(b);
      b.callback(2);
      a.callback(1);
      failureResultOf(a, AlreadyCalledError);
      expect(successResultOf(b)).toBe(2);
    });

    it('is ignored once by the other Deferred after a canceller-less cancel()', () => {
      const a = new Deferred<number>();
      const b = new Deferred<number>();
      a.chainDeferred(b);
      b.cancel();
      a.callback(1);
      expect(successResultOf(a)).toBeUndefined();
      failureResultOf(b, CancelledError);
    });
  });
});
