/**
 * Review attacks: a revoked Proxy (every trap throws, `instanceof` too) where a greenlet or a green helper
 * classifies a value it was handed or yielded. It must come back as a `TypeError` through the Deferred (or thrown
 * into the greenlet at its `yield`, as `await` of it does), never as an exception out of the hub's turn or a
 * synchronous throw, and the greenlet must end so that `stop()` does not abandon it.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { GreenPool } from '../../src/green/green-pool.js';
import { joinAll } from '../../src/green/join-all.js';
import { killAll } from '../../src/green/kill-all.js';
import { Queue } from '../../src/green/queue.js';
import { Semaphore } from '../../src/green/semaphore.js';
import { withTimeout } from '../../src/green/with-timeout.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';
import { failureResultOf } from '../helpers/deferred-results.js';
import { revokedProxy } from '../helpers/hostile-values.js';

/** A revoked Proxy, typed to pass where any argument is expected. */
const revoked = (): never => revokedProxy() as never;

/** The outcome of `d` once it fires: its value, or what it failed with. */
function outcomeOf(d: Deferred<unknown>): Promise<{ ok: boolean; value: unknown }> {
  return new Promise((resolve) => {
    d.addCallbacks(
      (value: unknown) => resolve({ ok: true, value }),
      (failure) => resolve({ ok: false, value: failure.value }),
    );
  });
}

let reactor: Reactor;
afterEach(async () => {
  const errors: unknown[] = [];
  reactor.hub.on('error', (error: unknown) => errors.push(error));
  await reactor.stop({ graceMs: 0 });
  expect(errors).toEqual([]); // no greenlet was left alive and abandoned
});

describe('a greenlet that yields a revoked Proxy', () => {
  it('gets a TypeError thrown in at the yield, as `await` of it would, and carries on', async () => {
    reactor = new Reactor({ clock: new Clock() });
    const d = reactor.deferToGreenlet(function* () {
      try {
        yield revoked();
      } catch (error: unknown) {
        return error instanceof TypeError ? 'TypeError' : `other: ${String(error)}`;
      }
      return 'resumed without an error';
    });
    expect(await outcomeOf(d)).toEqual({ ok: true, value: 'TypeError' });
  }, 20_000);

  it('that it does not catch errbacks its deferToGreenlet with that TypeError', async () => {
    reactor = new Reactor({ clock: new Clock() });
    const d = reactor.deferToGreenlet(function* () {
      yield revoked();
      return 'after';
    });
    const { ok, value } = await outcomeOf(d);
    expect(ok).toBe(false);
    expect(value).toBeInstanceOf(TypeError);
  }, 20_000);
});

describe('green helpers handed a revoked Proxy as the greenlet or waitable', () => {
  it.each<[string, (r: Reactor) => Deferred<unknown>]>([
    ['withTimeout(revoked, 10)', (r) => withTimeout(revoked(), 10, r.hub)],
    ['reactor.waitForGreenlet(revoked)', (r) => r.waitForGreenlet(revoked())],
    ['killAll([revoked])', () => killAll([revoked() as Greenlet<unknown>])],
    ['joinAll([revoked])', () => joinAll([revoked() as Greenlet<unknown>])],
  ])('%s errbacks TypeError and does not throw', (_name, call) => {
    reactor = new Reactor({ clock: new Clock() });
    let outcome: string;
    try {
      outcome = (failureResultOf(call(reactor), TypeError).value as Error).name;
    } catch (error: unknown) {
      outcome = `threw, or did not errback TypeError: ${String(error)}`;
    }
    expect(outcome).toBe('TypeError');
  });
});

/**
 * Handles what `d` holds at the end of a test, a guard: parking and `waitForDeferred` leave `d` holding the proxy
 * (green-park-observe-control.test.ts pins that), but a failure left in `d` unhandled would be reported when
 * collected, which can be after this file ended ("Cannot log after tests are done", and Jest then exits 1).
 */
function settled(d: Deferred<unknown>): void {
  d.addErrback(() => undefined);
}

describe('a Deferred a greenlet waits on that fires with a revoked Proxy', () => {
  /** What the greenlet got from its wait: 'value' (resumed with the proxy itself), 'TypeError', or anything else. */
  const got = (proxy: object, v: unknown): string => (v === proxy ? 'value' : `other: ${typeof v}`);
  const caught = (error: unknown): string => (error instanceof TypeError ? 'TypeError' : `other: ${String(error)}`);

  it('`yield d` resumes the greenlet with the proxy, as it sends any result, when d fires later', async () => {
    reactor = new Reactor({ clock: new Clock() });
    const proxy = revokedProxy();
    const d = new Deferred<unknown>();
    const g = reactor.deferToGreenlet(function* () {
      return got(proxy, yield d);
    });
    reactor.hub.spawn(() => d.callback(proxy)); // fires once the greenlet has parked on it
    expect(await outcomeOf(g)).toEqual({ ok: true, value: 'value' });
    settled(d);
  }, 20_000);

  it('`yield d` of a d that already fired with it resumes at once with the proxy', async () => {
    reactor = new Reactor({ clock: new Clock() });
    const proxy = revokedProxy();
    const d = new Deferred<unknown>();
    d.callback(proxy);
    const g = reactor.deferToGreenlet(function* () {
      return got(proxy, yield d);
    });
    expect(await outcomeOf(g)).toEqual({ ok: true, value: 'value' });
    settled(d);
  }, 20_000);

  it.each<[string, (r: Reactor, d: Deferred<unknown>) => (() => unknown) | (() => Generator<unknown, string, unknown>)]>([
    [
      '`yield reactor.waitForDeferred(d)` in a generator greenlet',
      (r, d) =>
        function* () {
          try {
            yield r.waitForDeferred(d);
          } catch (error: unknown) {
            return caught(error);
          }
          return 'resumed without an error';
        },
    ],
    [
      '`await reactor.waitForDeferred(d)` in an async greenlet',
      (r, d) => async () => {
        try {
          await r.waitForDeferred(d);
        } catch (error: unknown) {
          return caught(error);
        }
        return 'resumed without an error';
      },
    ],
  ])('%s gets the TypeError `await d` gets (the wait follows a thenable result)', async (_name, body) => {
    reactor = new Reactor({ clock: new Clock() });
    const d = new Deferred<unknown>();
    const g = reactor.deferToGreenlet(body(reactor, d));
    reactor.hub.spawn(() => d.callback(revokedProxy()));
    expect(await outcomeOf(g)).toEqual({ ok: true, value: 'TypeError' });
    settled(d);
  }, 20_000);

  it('withTimeout(d, ms) fires with the proxy instead of throwing out of d.callback()', () => {
    reactor = new Reactor({ clock: new Clock() });
    const proxy = revokedProxy();
    const d = new Deferred<unknown>();
    const limited = withTimeout(d, 60_000, reactor.hub);
    expect(() => d.callback(proxy)).not.toThrow();
    let value: unknown = null;
    limited.addCallback((v: unknown) => {
      value = v;
    });
    expect(value).toBe(proxy);
    settled(d);
  });
});

describe('a value with no primitive form (Object.create(null)) given to an async green API', () => {
  /** `String()` of it throws "Cannot convert object to primitive value": the message must not ask it for one. */
  const bare = (): never => Object.create(null) as never;

  it.each<[string, (r: Reactor) => Deferred<unknown>, string]>([
    ['withTimeout(d, bare)', (r) => withTimeout(new Deferred<unknown>(), bare(), r.hub), 'Expected `ms` to be a number >= 0, got `[object Object]` (object)'],
    ['hub.sleep(bare)', (r) => r.hub.sleep(bare()), 'Expected `ms` to be a number, got `[object Object]` (object)'],
  ])('%s errbacks its own TypeError naming the value', (_name, call, message) => {
    reactor = new Reactor({ clock: new Clock() });
    let outcome: string;
    try {
      const error = failureResultOf(call(reactor), TypeError).value as Error;
      outcome = `${error.name}: ${error.message}`;
    } catch (error: unknown) {
      outcome = `threw, or did not errback TypeError: ${String(error)}`;
    }
    expect(outcome).toBe(`TypeError: ${message}`);
  });

  it('reactor.blockingCallFromGreenlet(bare) in a greenlet errbacks its own TypeError naming the value', async () => {
    reactor = new Reactor({ clock: new Clock() });
    const r = reactor;
    const g = reactor.deferToGreenlet(function* () {
      try {
        yield r.blockingCallFromGreenlet(bare());
      } catch (error: unknown) {
        return error instanceof TypeError ? error.message : `other: ${String(error)}`;
      }
      return 'resumed without an error';
    });
    expect(await outcomeOf(g)).toEqual({ ok: true, value: 'Expected `fn` to be a function, got `[object Object]` (object)' });
  }, 20_000);
});

describe('a value with no primitive form given to a synchronous green validator', () => {
  const bare = (): never => Object.create(null) as never;

  it.each<[string, () => unknown, string]>([
    ['new Queue(bare)', () => new Queue(bare()), 'RangeError: Expected `maxsize` to be a number >= 0, got `[object Object]` (object)'],
    ['new Semaphore(bare)', () => new Semaphore(bare()), 'RangeError: Expected `value` to be an integer >= 0, got `[object Object]` (object)'],
    ['new GreenPool(bare)', () => new GreenPool(bare()), 'RangeError: Expected `size` to be an integer >= 0, got `[object Object]` (object)'],
  ])('%s throws its own error naming the value', (_name, make, message) => {
    reactor = new Reactor({ clock: new Clock() });
    let outcome = 'did not throw';
    try {
      make();
    } catch (error: unknown) {
      outcome = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    expect(outcome).toBe(message);
  });
});
