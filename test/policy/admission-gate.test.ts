import { describe, it, expect } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { succeed } from '../../src/deferred/succeed.js';
import { CancelledError } from '../../src/errors.js';
import { AdmissionGate } from '../../src/policy/admission-gate.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';

/** A route that records what it started and leaves each call's Deferred for the test to fire. */
function route(): { started: Array<{ call: number; d: Deferred<unknown> }>; start: (call: number) => Deferred<unknown> } {
  const started: Array<{ call: number; d: Deferred<unknown> }> = [];
  return {
    started,
    start: (call) => {
      const d = new Deferred<unknown>();
      started.push({ call, d });
      return d;
    },
  };
}

describe('AdmissionGate', () => {
  describe('.run()', () => {
    it("starts calls up to the limit at once and returns the route's own Deferred", () => {
      const r = route();
      const gate = new AdmissionGate<number>(() => 2);
      const first = gate.run(1, r.start);
      gate.run(2, r.start);
      expect(first).toBe(r.started[0]?.d);
      expect(r.started.map((s) => s.call)).toEqual([1, 2]);
      expect([gate.inFlight, gate.waiting]).toEqual([2, 0]);
    });

    it('queues the excess and starts it in order as calls settle, each Deferred firing with its own result', () => {
      const r = route();
      const gate = new AdmissionGate<number>(() => 1);
      const ds = [1, 2, 3].map((n) => gate.run(n, r.start));
      expect(r.started.map((s) => s.call)).toEqual([1]);
      r.started[0]?.d.callback('one');
      expect(r.started.map((s) => s.call)).toEqual([1, 2]);
      r.started[1]?.d.errback(new RangeError('two'));
      r.started[2]?.d.callback('three');
      expect(successResultOf(ds[0] as Deferred<unknown>)).toBe('one');
      expect(failureResultOf(ds[1] as Deferred<unknown>, RangeError).getErrorMessage()).toBe('two');
      expect(successResultOf(ds[2] as Deferred<unknown>)).toBe('three');
      expect([gate.inFlight, gate.waiting]).toEqual([0, 0]);
    });

    it('never starts a waiting call that was cancelled, and starts the next instead', () => {
      const r = route();
      const gate = new AdmissionGate<number>(() => 1);
      gate.run(1, r.start);
      const second = gate.run(2, r.start);
      const third = gate.run(3, r.start);
      second.cancel();
      failureResultOf(second, CancelledError);
      expect(gate.waiting).toBe(1);
      r.started[0]?.d.callback(undefined);
      expect(r.started.map((s) => s.call)).toEqual([1, 3]);
      assertNoResult(third);
    });

    it("cancels the route's Deferred when a call that waited is cancelled after it started", () => {
      const r = route();
      const cancelled: number[] = [];
      const gate = new AdmissionGate<number>(() => 1);
      gate.run(1, r.start);
      const second = gate.run(2, (n) => new Deferred<unknown>(() => cancelled.push(n)));
      r.started[0]?.d.callback(undefined);
      second.cancel();
      failureResultOf(second, CancelledError);
      expect(cancelled).toEqual([2]);
      expect(gate.inFlight).toBe(0);
    });

    it('turns a start that throws into a failed Deferred and frees its place', () => {
      const gate = new AdmissionGate<number>(() => 1);
      const d = gate.run(1, () => {
        throw new TypeError('bad call');
      });
      expect(failureResultOf(d, TypeError).getErrorMessage()).toBe('bad call');
      expect(successResultOf(gate.run(2, (n) => succeed(n)))).toBe(2);
    });

    it('tells onSettled of each outcome before the next call starts, and onQueued of each call that waits', () => {
      const r = route();
      const seen: string[] = [];
      const gate = new AdmissionGate<number>(() => 1, {
        onSettled: (result) => seen.push(`settled ${String(result)}`),
        onQueued: (_outer, call) => seen.push(`queued ${call}`),
      });
      gate.run(1, (n) => {
        seen.push(`start ${n}`);
        return r.start(n);
      });
      gate.run(2, (n) => {
        seen.push(`start ${n}`);
        return r.start(n);
      });
      r.started[0]?.d.callback('a');
      expect(seen).toEqual(['start 1', 'queued 2', 'settled a', 'start 2']);
    });
  });

  describe('.pump()', () => {
    it('starts waiting calls once the limit has grown', () => {
      const r = route();
      let limit = 1;
      const gate = new AdmissionGate<number>(() => limit);
      for (const n of [1, 2, 3]) gate.run(n, r.start);
      limit = 3;
      gate.pump();
      expect(r.started.map((s) => s.call)).toEqual([1, 2, 3]);
    });
  });

  describe('.drain()', () => {
    it('hands every waiting call elsewhere and leaves the calls in flight alone', () => {
      const r = route();
      const gate = new AdmissionGate<number>(() => 1);
      const ds = [1, 2, 3].map((n) => gate.run(n, r.start));
      gate.drain((n) => succeed(`elsewhere ${n}`));
      expect(successResultOf(ds[1] as Deferred<unknown>)).toBe('elsewhere 2');
      expect(successResultOf(ds[2] as Deferred<unknown>)).toBe('elsewhere 3');
      assertNoResult(ds[0] as Deferred<unknown>);
      expect([gate.inFlight, gate.waiting]).toEqual([1, 0]);
      r.started[0]?.d.callback('one');
      expect(r.started).toHaveLength(1);
    });
  });
});
