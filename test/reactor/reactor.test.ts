import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { refuseIfStopped } from '../../src/reactor/refuse-if-stopped.js';
import { Clock } from '../../src/time/clock.js';
import { realTimeScheduler } from '../../src/time/real-time-scheduler.js';
import type { Scheduler } from '../../src/time/scheduler.js';
import { nextTurn } from '../helpers/next-turn.js';

/** A reactor on a fresh Clock whose errors are collected instead of printed. */
function makeReactor(): { reactor: Reactor; clock: Clock; errors: Array<[unknown, string]> } {
  const clock = new Clock();
  const errors: Array<[unknown, string]> = [];
  const reactor = new Reactor({ clock, onError: (error, where) => errors.push([error, where]) });
  return { reactor, clock, errors };
}

const started: Reactor[] = [];
/** run() holds the process open until stop(): remember every run reactor and stop it after the test. */
function runReactor(reactor: Reactor): Promise<void> {
  started.push(reactor);
  return reactor.run();
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.stop()));
});

describe('Reactor', () => {
  describe('constructor', () => {
    it('starts idle and not running', () => {
      const { reactor } = makeReactor();
      expect(reactor.state).toBe('idle');
      expect(reactor.running).toBe(false);
    });

    it.each([
      ['a string', 'clock'],
      ['an object without callLater', { now: () => 0 }],
      ['null', null],
    ])('throws TypeError for a clock that is %s', (_label, clock) => {
      expect(() => new Reactor({ clock: clock as never })).toThrow(TypeError);
      expect(() => new Reactor({ clock: clock as never })).toThrow(/`clock`/);
    });

    it('throws TypeError when onError is not a function', () => {
      expect(() => new Reactor({ onError: 42 as never })).toThrow(TypeError);
    });

    it('throws TypeError when now is not a function', () => {
      expect(() => new Reactor({ now: 42 as never })).toThrow(/Expected `now` to be a function/);
    });

    it('accepts a policy option without acting on it yet', () => {
      expect(new Reactor({ policy: { default: 'green' } }).state).toBe('idle');
    });
  });

  describe('.now() / .callLater()', () => {
    it('reads time from the clock it was given', () => {
      const { reactor, clock } = makeReactor();
      clock.advance(42);
      expect(reactor.now()).toBe(42);
    });

    it('schedules on the clock, with extra arguments', () => {
      const { reactor, clock } = makeReactor();
      const got: unknown[] = [];
      const call = reactor.callLater(10, (a: string, b: number) => got.push(a, b), 'x', 1);
      clock.advance(9);
      expect(got).toEqual([]);
      clock.advance(1);
      expect(got).toEqual(['x', 1]);
      expect(call.called).toBe(true);
    });

    it('throws RangeError for a negative delay before asking the clock', () => {
      const asked: number[] = [];
      const lenient: Scheduler = {
        now: () => 0,
        callLater: (ms: number, ..._rest: unknown[]) => {
          asked.push(ms);
          return new Clock().callLater(0, () => undefined);
        },
      };
      const reactor = new Reactor({ clock: lenient });
      expect(() => reactor.callLater(-1, () => undefined)).toThrow(RangeError);
      expect(() => reactor.callLater(1, 'nope' as never)).toThrow(TypeError);
      expect(asked).toEqual([]);
    });

    it('uses the real-time scheduler by default', () => {
      const reactor = new Reactor();
      const call = reactor.callLater(60_000, () => undefined);
      expect(realTimeScheduler.getDelayedCalls()).toContain(call);
      call.cancel();
    });
  });

  describe('.callWhenRunning()', () => {
    it('waits for run() when the reactor is idle, then runs in registration order with arguments', async () => {
      const { reactor } = makeReactor();
      const seen: unknown[] = [];
      reactor.callWhenRunning((x: number) => seen.push(['first', x]), 1);
      reactor.callWhenRunning(() => seen.push('second'));
      expect(seen).toEqual([]);
      void runReactor(reactor);
      expect(seen).toEqual([['first', 1], 'second']);
    });

    it('runs at once when the reactor is already running', () => {
      const { reactor } = makeReactor();
      void runReactor(reactor);
      let ran = false;
      reactor.callWhenRunning(() => (ran = true));
      expect(ran).toBe(true);
    });

    it('sees the reactor running', () => {
      const { reactor } = makeReactor();
      let running: boolean | undefined;
      reactor.callWhenRunning(() => (running = reactor.running));
      void runReactor(reactor);
      expect(running).toBe(true);
    });

    it('reports a throwing function and still runs the next one', () => {
      const { reactor, errors } = makeReactor();
      const boom = new Error('boom');
      let ran = false;
      reactor.callWhenRunning(function failing() {
        throw boom;
      });
      reactor.callWhenRunning(() => (ran = true));
      void runReactor(reactor);
      expect(ran).toBe(true);
      expect(errors).toEqual([[boom, expect.stringContaining('failing')]]);
    });

    it('never runs a function when the reactor stops before running', async () => {
      const { reactor } = makeReactor();
      let ran = false;
      reactor.callWhenRunning(() => (ran = true));
      await reactor.stop();
      reactor.callWhenRunning(() => (ran = true));
      expect(ran).toBe(false);
    });

    it('never runs the functions after one that stopped the reactor', async () => {
      const { reactor } = makeReactor();
      const seen: string[] = [];
      reactor.callWhenRunning(() => {
        seen.push('stops');
        void reactor.stop();
      });
      reactor.callWhenRunning(() => seen.push('after stop()'));
      await runReactor(reactor);
      expect(seen).toEqual(['stops']);
    });

    it('throws TypeError when fn is not a function', () => {
      const { reactor } = makeReactor();
      expect(() => reactor.callWhenRunning('nope' as never)).toThrow(TypeError);
    });
  });

  describe('.run()', () => {
    it('marks the reactor running', () => {
      const { reactor } = makeReactor();
      void runReactor(reactor);
      expect(reactor.running).toBe(true);
      expect(reactor.state).toBe('running');
    });

    it('resolves once stop() has finished', async () => {
      const { reactor } = makeReactor();
      let resolved = false;
      const run = runReactor(reactor).then(() => (resolved = true));
      await nextTurn();
      expect(resolved).toBe(false);
      await reactor.stop();
      await run;
      expect(resolved).toBe(true);
      expect(reactor.state).toBe('stopped');
    });

    it('returns the same promise when called again while running', () => {
      const { reactor } = makeReactor();
      expect(runReactor(reactor)).toBe(reactor.run());
    });

    it('rejects with ReactorStoppedError on a reactor stopped without running', async () => {
      const { reactor } = makeReactor();
      await reactor.stop();
      await expect(reactor.run()).rejects.toMatchObject({ name: 'ReactorStoppedError', code: 'ERR_REACTOR_STOPPED' });
    });
  });

  describe('.stop()', () => {
    it('works without run() and ends stopped', async () => {
      const { reactor } = makeReactor();
      await reactor.stop();
      expect(reactor.state).toBe('stopped');
      expect(reactor.running).toBe(false);
    });

    it('returns the same promise on repeat calls', () => {
      const { reactor } = makeReactor();
      const first = reactor.stop({ graceMs: 10 });
      expect(reactor.stop()).toBe(first);
      expect(reactor.stop({ graceMs: 99 })).toBe(first);
    });

    it('is stopping, not running, as soon as it is called', () => {
      const { reactor } = makeReactor();
      void runReactor(reactor);
      void reactor.stop();
      expect(reactor.state).toBe('stopping');
      expect(reactor.running).toBe(false);
    });

    it.each([-1, Number.NaN, '5' as unknown as number])('rejects with RangeError for graceMs %p and keeps running', async (graceMs) => {
      const { reactor } = makeReactor();
      void runReactor(reactor);
      await expect(reactor.stop({ graceMs })).rejects.toThrow(RangeError);
      expect(reactor.state).toBe('running');
    });
  });

  describe('accepting work', () => {
    it('is accepted while idle and running', () => {
      const { reactor } = makeReactor();
      expect(refuseIfStopped(reactor.state, 'dispatch')).toBeUndefined();
      void runReactor(reactor);
      expect(refuseIfStopped(reactor.state, 'dispatch')).toBeUndefined();
    });

    it('is refused with ReactorStoppedError through a Deferred once stop() has begun', async () => {
      const { reactor } = makeReactor();
      const gate = new Deferred<void>();
      reactor.addSystemEventTrigger('before', 'shutdown', () => gate);
      const stopped = reactor.stop();
      const refusals = [refuseIfStopped<number>(reactor.state, 'deferToThread')];
      gate.callback(undefined);
      await stopped;
      refusals.push(refuseIfStopped<number>(reactor.state, 'deferToThread'));
      for (const refused of refusals) {
        expect(refused).toBeInstanceOf(Deferred);
        await expect(refused).rejects.toMatchObject({ name: 'ReactorStoppedError', message: expect.stringContaining('deferToThread') });
      }
    });
  });

  describe('.stats()', () => {
    it('reports event-loop delay p50/p99/max in milliseconds', async () => {
      const reactor = new Reactor();
      void reactor.run(); // starts sampling the loop's delay
      try {
        // The sampler's first tick only sets its baseline: wait until a delay has been recorded.
        while (reactor.stats().eventLoopDelay.max === 0) await nextTurn();
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60); // hold the loop 60 ms, no CPU spin
        await nextTurn();
        await nextTurn();
        const { eventLoopDelay } = reactor.stats();
        expect(eventLoopDelay.max).toBeGreaterThanOrEqual(50);
        expect(eventLoopDelay.max).toBeLessThan(10_000); // 60 ms read in µs would be 60,000
        expect(eventLoopDelay.p50).toBeGreaterThan(0);
        expect(eventLoopDelay.p50).toBeLessThanOrEqual(eventLoopDelay.p99);
        expect(eventLoopDelay.p99).toBeLessThanOrEqual(eventLoopDelay.max);
      } finally {
        await reactor.stop({ graceMs: 0 });
      }
    });
  });

  describe('error reporting', () => {
    it('goes to console.error by default, saying where', async () => {
      const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const reactor = new Reactor({ clock: new Clock() });
        const boom = new Error('boom');
        reactor.addSystemEventTrigger('during', 'shutdown', () => {
          throw boom;
        });
        await reactor.stop();
        expect(spy).toHaveBeenCalledWith(expect.stringContaining("'during' shutdown trigger"), boom);
      } finally {
        spy.mockRestore();
      }
    });
  });
});
