/**
 * Shutdown triggers and `callWhenRunning` functions whose `name` cannot be read (a getter that throws, a Proxy of a
 * function whose traps throw). SPEC §3: a trigger that throws is reported and the rest still run, and `stop()` always
 * ends; a `callWhenRunning` function's error goes to `onError`. The reactor read `fn.name` to describe the function in
 * its report, outside any guard: a throwing `name` escaped from the trigger phase (the later triggers never ran, the
 * pools were never closed, `stop()` rejected) and from the startup call's error handler.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Clock, Reactor, TimeoutError, inlineCallbacks } from '../../src/index.js';
import { failureResultOf } from '../helpers/deferred-results.js';

/** A function whose `name` throws when read (and which throws `thrown` when called, if given). */
function namelessFn(thrown?: Error): () => void {
  const fn = (): void => {
    if (thrown !== undefined) throw thrown;
  };
  Object.defineProperty(fn, 'name', {
    get() {
      throw new Error('name getter threw');
    },
  });
  return fn;
}

/** A Proxy of a function whose `get` trap throws (calling it still works: `apply` is not trapped). */
function trappedFn(): () => void {
  return new Proxy(() => undefined, {
    get() {
      throw new Error('get trap threw');
    },
  });
}

describe('Reactor', () => {
  describe('.stop() with a shutdown trigger whose name cannot be read', () => {
    it.each([
      ['a name getter that throws, and the trigger throws', () => namelessFn(new Error('trigger threw'))],
      ['a name getter that throws', () => namelessFn()],
      ['a Proxy whose get trap throws', () => trappedFn()],
    ])('still runs every later trigger and resolves: %s', async (_name, make) => {
      const reported: unknown[] = [];
      const reactor = new Reactor({ onError: (error) => reported.push(error) });
      const ran: string[] = [];
      reactor.addSystemEventTrigger('before', 'shutdown', make());
      reactor.addSystemEventTrigger('before', 'shutdown', () => ran.push('before'));
      reactor.addSystemEventTrigger('during', 'shutdown', make());
      reactor.addSystemEventTrigger('after', 'shutdown', () => ran.push('after'));
      await expect(reactor.stop()).resolves.toBeUndefined();
      expect(ran).toEqual(['before', 'after']);
    });
  });

  describe('.callWhenRunning() of a function that throws and whose name cannot be read', () => {
    it('reports the error through onError and runs the next one', async () => {
      const reported: unknown[] = [];
      const reactor = new Reactor({ onError: (error) => reported.push(error) });
      const thrown = new Error('startup threw');
      const ran: string[] = [];
      reactor.callWhenRunning(namelessFn(thrown));
      reactor.callWhenRunning(() => {
        ran.push('next');
        void reactor.stop();
      });
      await reactor.run();
      expect(ran).toEqual(['next']);
      expect(reported).toEqual([thrown]);
    });
  });
});

describe('Reactor.deferToGreenlet() of a function whose name cannot be read, after its deadline passed', () => {
  it('errbacks with TimeoutError instead of throwing', async () => {
    const clock = new Clock();
    const reactor = new Reactor({ clock });
    const d = reactor.withDeadline(0, () => reactor.deferToGreenlet(namelessFn()));
    failureResultOf(d, TimeoutError);
    await reactor.stop({ graceMs: 0 });
  });
});

describe('inlineCallbacks() of a function that returns no generator and whose name cannot be read', () => {
  it('errbacks with TypeError instead of throwing', () => {
    const run = inlineCallbacks(namelessFn() as unknown as () => Generator<unknown, void>);
    expect(failureResultOf(run(), TypeError).getErrorMessage()).toMatch(/the function to return a generator/);
  });
});
