/**
 * Bad input at public entry points gets a clear named error that names the parameter (p-queue's form), never a
 * raw engine TypeError from deep inside, and a misspelt option is refused as TaskOptions and policy keys are.
 */
import { describe, it, expect } from '@jest/globals';
import { Clock, Deferred, Hub, Reactor, deferLater, defineTask, type Scheduler } from '../../src/index.js';

const notAScheduler = (value: unknown): Scheduler => value as Scheduler;

describe('deferLater()', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['an object without callLater', {}],
    ['a number', 5],
  ])('refuses %s as the clock with a TypeError naming `clock`', (_what, clock) => {
    expect(() => deferLater(notAScheduler(clock), 1)).toThrow(TypeError);
    expect(() => deferLater(notAScheduler(clock), 1)).toThrow(/`clock`/);
  });
});

describe('Deferred', () => {
  describe('.addTimeout()', () => {
    it('refuses an object without callLater as the clock with a TypeError naming `clock`', () => {
      expect(() => new Deferred().addTimeout(10, notAScheduler({}))).toThrow(TypeError);
      expect(() => new Deferred().addTimeout(10, notAScheduler({}))).toThrow(/`clock`/);
    });

    it('leaves the Deferred usable when it refuses the clock: it fires and runs its callbacks as before', () => {
      const d = new Deferred<number>();
      expect(() => d.addTimeout(10, notAScheduler(null))).toThrow(/`clock`/);
      d.callback(1);
      const seen: unknown[] = [];
      d.addCallback((v) => seen.push(v));
      expect(seen).toEqual([1]);
    });

    it('still times out on a real Clock given as the clock', () => {
      const clock = new Clock();
      const d = new Deferred<number>().addTimeout(10, clock);
      const errors: unknown[] = [];
      d.addErrback((f) => errors.push(f.value));
      clock.advance(10);
      expect((errors[0] as Error).name).toBe('TimeoutError');
    });
  });

  describe('new Deferred(canceller)', () => {
    it('refuses a canceller that is not a function at construction, as addCallback refuses a callback', () => {
      expect(() => new Deferred(5 as never)).toThrow(TypeError);
      expect(() => new Deferred(5 as never)).toThrow(/`canceller`/);
    });

    it('accepts an explicit undefined canceller (no canceller)', () => {
      const d = new Deferred(undefined);
      const errors: unknown[] = [];
      d.addErrback((f) => errors.push(f.value));
      d.cancel();
      expect((errors[0] as Error).name).toBe('CancelledError');
    });
  });
});

describe('new Hub(options)', () => {
  it.each([0, -1, 1.5, Number.NaN])('refuses maxGreenlets %p with a RangeError, as the policy refuses green.maxGreenlets 0', (max) => {
    expect(() => new Hub({ maxGreenlets: max })).toThrow(RangeError);
    expect(() => new Hub({ maxGreenlets: max })).toThrow(/`maxGreenlets`/);
  });

  it.each([
    ['sliceMs', -1],
    ['blockingThresholdMs', Infinity],
  ])('refuses %s %p (out of range) with a RangeError naming it', (key, value) => {
    expect(() => new Hub({ [key]: value })).toThrow(RangeError);
    expect(() => new Hub({ [key]: value })).toThrow(new RegExp(`\`${key}\``));
  });

  it.each([
    ['sliceMs', '4'],
    ['maxGreenlets', '10'],
  ])('refuses %s of the wrong type (%p) with a TypeError naming it', (key, value) => {
    expect(() => new Hub({ [key]: value })).toThrow(TypeError);
    expect(() => new Hub({ [key]: value })).toThrow(new RegExp(`\`${key}\``));
  });

  it('refuses an unknown option (a misspelt `sliceMs`) with a TypeError naming it', () => {
    expect(() => new Hub({ sliecMs: 1 } as never)).toThrow(TypeError);
    expect(() => new Hub({ sliecMs: 1 } as never)).toThrow(/sliecMs/);
  });

  it('refuses options that are not an object with a TypeError', () => {
    expect(() => new Hub(null as never)).toThrow(/`options`/);
    expect(() => new Hub(5 as never)).toThrow(/`options`/);
  });

  it('accepts maxGreenlets 1 and Infinity: past 1 live greenlet, spawn gives a greenlet dead with QueueFullError', () => {
    expect(new Hub({ maxGreenlets: Infinity }).options.maxGreenlets).toBe(Infinity);
    const hub = new Hub({ clock: new Clock(), maxGreenlets: 1, nextTurn: () => undefined });
    hub.spawn(() => 0);
    const refused = hub.spawn(() => 1);
    expect(refused.dead).toBe(true);
    expect(refused.exception).toMatchObject({ name: 'QueueFullError' });
  });
});

describe('new Reactor(options)', () => {
  it('refuses an unknown option (a misspelt `policy`) with a TypeError naming it, as policy keys and TaskOptions are', () => {
    expect(() => new Reactor({ polcy: { default: 'green' } } as never)).toThrow(TypeError);
    expect(() => new Reactor({ polcy: { default: 'green' } } as never)).toThrow(/`polcy`/);
  });
});

describe('an unknown option key, at every entry point that takes options', () => {
  it.each<[string, () => unknown, string]>([
    ['new Reactor()', () => new Reactor({ polcy: {} } as never), 'Unknown option `polcy` of new Reactor(): did you mean `policy`?'],
    ['new Hub()', () => new Hub({ sliecMs: 1 } as never), 'Unknown option `sliecMs` of new Hub(): did you mean `sliceMs`?'],
    ['new Hub(), nothing near', () => new Hub({ priority: 1 } as never), 'Unknown option `priority` of new Hub(): its options are '],
    ['a task', () => defineTask(import.meta.url, 'probe', () => 1, { timeoutMS: 5 } as never), 'Unknown option `timeoutMS` of task `probe`: did you mean `timeoutMs`?'],
  ])('%s: one message form, naming the key and the option it probably meant', (_where, make, message) => {
    expect(make).toThrow(TypeError);
    expect(make).toThrow(message);
  });

  it('stop(): rejects with the same form, and the reactor keeps running until a stop() it can use', async () => {
    const reactor = new Reactor();
    await expect(reactor.stop({ grace: 5 } as never)).rejects.toThrow('Unknown option `grace` of stop(): did you mean `graceMs`?');
    expect(reactor.state).toBe('idle');
    await reactor.stop({ graceMs: 0 });
    expect(reactor.state).toBe('stopped');
  });
});
