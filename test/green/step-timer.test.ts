import { beforeEach, describe, expect, it } from '@jest/globals';
import { StepStats } from '../../src/green/step-stats.js';
import { StepTimer } from '../../src/green/step-timer.js';

/** The injected wall time: a step "takes" `ms` by advancing it. */
let wall = 0;
const now = (): number => wall;
let reads = 0;
const countedNow = (): number => {
  reads++;
  return wall;
};

beforeEach(() => {
  wall = 0;
  reads = 0;
});

/** One step of `ms` wall time, timed like the hub does. */
function runStep(timer: StepTimer, stats: StepStats, g: object, ms: number): number {
  wall += ms;
  return timer.after(g, stats);
}

describe('StepTimer', () => {
  describe('.after()', () => {
    it('reports every step longer than the threshold with its greenlet, task and ms, even one among many short steps', () => {
      const reports: Array<[unknown, string, number]> = [];
      const timer = new StepTimer(10, now, (g, s, ms) => reports.push([g, s.name, ms]));
      const quick = new StepStats('quick');
      const blocker = new StepStats('blocker');
      const g = {};
      timer.start();
      for (let i = 0; i < 500; i++) runStep(timer, quick, {}, 0.001); // short steps: nothing to report
      runStep(timer, blocker, g, 12);
      for (let i = 0; i < 500; i++) runStep(timer, quick, {}, 0.001);
      runStep(timer, blocker, g, 11);
      expect(reports).toEqual([
        [g, 'blocker', 12],
        [g, 'blocker', 11],
      ]);
    });

    it('does not report a step of exactly the threshold', () => {
      const reports: number[] = [];
      const timer = new StepTimer(10, now, (_g, _s, ms) => reports.push(ms));
      timer.start();
      runStep(timer, new StepStats('at'), {}, 10);
      expect(reports).toEqual([]);
    });

    it('reads the clock once per step and returns that reading', () => {
      const timer = new StepTimer(10, countedNow, () => undefined);
      const stats = new StepStats('t');
      timer.start();
      reads = 0;
      for (let i = 1; i <= 100; i++) expect(runStep(timer, stats, {}, 0.5)).toBe(i * 0.5);
      expect(reads).toBe(100);
    });

    it('counts every step and keeps the longest exactly, while the histogram takes a sample', () => {
      const timer = new StepTimer(20, now, () => undefined);
      const stats = new StepStats('mixed');
      timer.start();
      for (let i = 0; i < 1000; i++) runStep(timer, stats, {}, 0.001);
      runStep(timer, stats, {}, 5);
      for (let i = 0; i < 1000; i++) runStep(timer, stats, {}, 0.001);
      const snapshot = stats.snapshot();
      expect(snapshot.steps).toBe(2001);
      expect(snapshot.maxMs).toBe(5);
      expect(snapshot.p50Ms).toBeCloseTo(0.001, 4);
    });

    it('records long steps into the histogram one by one', () => {
      const timer = new StepTimer(20, now, () => undefined);
      const stats = new StepStats('long');
      timer.start();
      for (let i = 0; i < 50; i++) runStep(timer, stats, {}, 2);
      for (let i = 0; i < 50; i++) runStep(timer, stats, {}, 4);
      const snapshot = stats.snapshot();
      expect(snapshot.p50Ms).toBeCloseTo(2, 1);
      expect(snapshot.p99Ms).toBeCloseTo(4, 1);
    });
  });

  describe('.start()', () => {
    it('times the first step of a pass from the start of the pass, not from the end of the last one', () => {
      const reports: number[] = [];
      const timer = new StepTimer(10, now, (_g, _s, ms) => reports.push(ms));
      const stats = new StepStats('t');
      timer.start();
      runStep(timer, stats, {}, 1);
      wall += 100; // the loop ran other things between two passes
      expect(timer.start()).toBe(101);
      runStep(timer, stats, {}, 3);
      expect(reports).toEqual([]);
      expect(stats.snapshot().maxMs).toBe(3);
    });
  });

  describe('.mark() / .timed()', () => {
    it('times a step the caller measures from its start, then times on from the clock at that moment', () => {
      const reports: Array<[string, number]> = [];
      const timer = new StepTimer(10, now, (_g, s, ms) => reports.push([s.name, ms]));
      const asyncStats = new StepStats('async');
      const next = new StepStats('next');
      timer.start();
      wall += 2; // the step runs (its resumption)…
      const start = timer.mark(); // …the hub suspends its drain: the step started at the pass's start
      expect(start).toBe(0);
      wall += 30; // …and reaches its next hub wait later
      timer.timed({}, asyncStats, start);
      runStep(timer, next, {}, 1);
      expect(reports).toEqual([['async', 32]]);
      expect(asyncStats.steps).toBe(1);
      expect(next.snapshot().maxMs).toBe(1);
    });
  });
  describe('.start(t) / .timed()', () => {
    it('reads the clock once for an async step and takes a time the caller just read as the start of what follows', () => {
      let reads = 0;
      const counted = (): number => {
        reads++;
        return wall;
      };
      const asyncStats = new StepStats('async');
      const timer = new StepTimer(10, counted, () => undefined);
      timer.start(); // 1
      const start = timer.mark();
      wall += 4;
      timer.timed({}, asyncStats, start); // 2
      expect(asyncStats.maxMs).toBe(4);
      wall += 1;
      expect(timer.start(wall)).toBe(wall); // the caller's read: none here
      wall += 2;
      timer.timed({}, asyncStats, timer.mark()); // 3
      expect(asyncStats.snapshot().steps).toBe(2);
      expect(asyncStats.maxMs).toBe(4);
      expect(reads).toBe(3);
    });
  });

  describe('.died()', () => {
    it("charges a dying step up to the death and the callbacks its links run after it to nobody's task", () => {
      const steps: Array<[string, number]> = [];
      const callbacks: Array<[unknown, number]> = [];
      const timer = new StepTimer(10, now, (_g, s, ms) => steps.push([s.name, ms]), (g, ms) => callbacks.push([g, ms]));
      const quick = new StepStats('quick');
      const next = new StepStats('next');
      const g = {};
      timer.start();
      wall += 1; // the greenlet's own code
      timer.died(g, quick);
      wall += 50; // a slow addCallback on the Deferred its death fired
      timer.after(g, quick);
      runStep(timer, next, {}, 2);
      expect(steps).toEqual([]);
      expect(callbacks).toEqual([[g, 50]]);
      expect([quick.steps, quick.maxMs, next.steps, next.maxMs]).toEqual([1, 1, 1, 2]);
    });

    it('still reports a dying step whose own code blocked, and quick callbacks after it not at all', () => {
      const steps: Array<[string, number]> = [];
      const callbacks: number[] = [];
      const timer = new StepTimer(10, now, (_g, s, ms) => steps.push([s.name, ms]), (_g, ms) => callbacks.push(ms));
      const slow = new StepStats('slow');
      timer.start();
      wall += 30;
      timer.died({}, slow);
      wall += 10; // callbacks of exactly the threshold: not blocking
      timer.after({}, slow);
      expect(steps).toEqual([['slow', 30]]);
      expect(callbacks).toEqual([]);
      expect(slow.steps).toBe(1);
    });
  });
});
