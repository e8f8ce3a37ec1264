/**
 * Parking only observes a Deferred (SPEC §6.1): a greenlet that waits on `d` (`yield d` in a generator greenlet,
 * `waitForDeferred(d)`) leaves `d`'s result exactly as it was — the next callback on `d` gets what `d` was fired
 * with — and the greenlet resumes with that value as it is. Before, the parking's handler handed the value on, and
 * the callback chain's probe of a handler's return read its `then`: a revoked Proxy left `d` holding a `TypeError`
 * (reported as unhandled when collected), and a Deferred fired with a Promise was held paused until that Promise
 * settled, then held its value instead.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { AsyncResult } from '../../src/green/async-result.js';
import type { Hub } from '../../src/green/hub.js';
import { Queue } from '../../src/green/queue.js';
import { waitForDeferred } from '../../src/green/wait-for-deferred.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { settleHub } from '../helpers/settle-hub.js';
import { revokedProxy } from '../helpers/hostile-values.js';

/**
 * What `d` holds now, read synchronously by a callback added last: `'value'` when it is `value` itself, `'failure'`
 * when it is a failure with `value` itself, else what it is. The callback ends `d`'s chain with `undefined`, so the
 * proxy is not handed on (jest's equality would read its traps).
 */
function heldBy(d: Deferred<unknown>, value: unknown): string {
  let held = 'pending';
  d.addCallbacks(
    (result: unknown) => {
      held = result === value ? 'value' : `other value: ${typeof result}`;
    },
    (failure) => {
      held = failure.value === value ? 'failure' : `other failure: ${String(failure.value)}`;
    },
  );
  return held;
}

/** Makes a primitive on `hub`: a wait on it, and how to serve that wait a value. */
type ServedWait = (hub: Hub) => { wait: () => Deferred<unknown>; serve: (value: unknown) => void };

/** Primitive waits a greenlet parks on, each with how to serve it a value. */
const servedWaits: Array<[string, ServedWait]> = [
  [
    'AsyncResult.get',
    (hub) => {
      const result = new AsyncResult<unknown>(hub);
      return { wait: () => result.get(), serve: (value) => result.set(value) };
    },
  ],
  [
    'Queue.get',
    (hub) => {
      const queue = new Queue<unknown>(0, hub);
      return { wait: () => queue.get(), serve: (value) => queue.putNowait(value) };
    },
  ],
];

/**
 * Spawns a generator greenlet that yields what `waitable()` makes, catching what is thrown in there, and runs it
 * until it parks. @returns a getter of what it caught (null: nothing yet).
 */
function spawnCatching(hub: Hub, waitable: () => unknown): () => unknown {
  let caught: unknown = null;
  hub.spawn(function* () {
    try {
      yield waitable();
    } catch (error: unknown) {
      caught = error;
    }
  });
  hub.flush();
  return () => caught;
}

/** A Promise that never settles: a value a Deferred can be fired with and an adopting chain would wait on forever. */
const neverSettles = (): Promise<never> => new Promise<never>(() => undefined);

describe('a generator greenlet parked on `yield d`', () => {
  it.each<[string, string, () => object]>([
    ['a revoked Proxy', 'later', revokedProxy],
    ['a pending Promise', 'later', neverSettles],
    ['a revoked Proxy', 'before it yields d', revokedProxy],
    ['a pending Promise', 'before it yields d', neverSettles],
  ])('leaves d holding %s it fires with (%s), and resumes with it as it is', (_what, when, make) => {
    const { hub, errors } = makeVirtualHub();
    const value = make();
    const d = new Deferred<unknown>();
    if (when !== 'later') d.callback(value);
    let got: unknown = null;
    const g = hub.spawn(function* () {
      got = yield d;
    });
    hub.flush();
    if (when === 'later') d.callback(value);
    hub.flush();
    expect(g.dead && g.successful()).toBe(true);
    expect(got).toBe(value);
    expect(heldBy(d, value)).toBe('value');
    expect(errors).toEqual([]);
  });

  it.each(servedWaits)("leaves a primitive's wait (%s) holding the revoked Proxy it was served after the greenlet parked", (_name, make) => {
    const { hub, errors } = makeVirtualHub();
    const proxy = revokedProxy();
    const primitive = make(hub);
    let wait: Deferred<unknown> | null = null;
    let got: unknown = null;
    hub.spawn(function* () {
      wait = primitive.wait();
      got = yield wait;
    });
    hub.flush();
    primitive.serve(proxy);
    hub.flush();
    expect(got).toBe(proxy);
    expect(heldBy(wait!, proxy)).toBe('value');
    expect(errors).toEqual([]);
  });

  it('leaves d holding its failure, now handled, and throws it in at the yield', () => {
    const { hub, errors } = makeVirtualHub();
    const d = new Deferred<unknown>();
    const boom = new Error('boom');
    const caught = spawnCatching(hub, () => d);
    d.errback(boom);
    hub.flush();
    expect(caught()).toBe(boom);
    expect(heldBy(d, boom)).toBe('failure');
    expect(errors).toEqual([]);
  });
});

describe('waitForDeferred(d) in a greenlet', () => {
  it('leaves d holding the revoked Proxy it fires with (the wait itself follows it and fails with TypeError)', () => {
    const { hub, errors } = makeVirtualHub();
    const proxy = revokedProxy();
    const d = new Deferred<unknown>();
    const caught = spawnCatching(hub, () => waitForDeferred(d, undefined, hub.clock, hub));
    d.callback(proxy);
    hub.flush();
    expect(caught()).toBeInstanceOf(TypeError);
    expect(heldBy(d, proxy)).toBe('value');
    expect(errors).toEqual([]);
  });
});

describe('an async greenlet awaiting a hub wait that is served a revoked Proxy', () => {
  it.each<[string, string, ServedWait]>(
    servedWaits.flatMap(([name, make]): Array<[string, string, ServedWait]> => [
      [name, 'no callbacks', make],
      [name, 'an errback of the caller', make],
    ]),
  )('leaves the %s wait (%s) holding the proxy; the await throws the TypeError `await` of such a value throws', async (_name, callbacks, make) => {
    const { hub, errors } = makeVirtualHub();
    const proxy = revokedProxy();
    const primitive = make(hub);
    let wait: Deferred<unknown> | null = null;
    let got = 'not resumed';
    hub.spawn(async () => {
      wait = primitive.wait();
      if (callbacks !== 'no callbacks') wait.addErrback(() => 'an errback swallowed a failure');
      try {
        got = (await wait) === proxy ? 'the proxy' : 'another value';
      } catch (error: unknown) {
        got = error instanceof TypeError ? 'TypeError' : `another error: ${String(error)}`;
      }
    });
    await settleHub(hub);
    primitive.serve(proxy);
    await settleHub(hub);
    expect({ got, held: heldBy(wait!, proxy), errors }).toEqual({ got: 'TypeError', held: 'value', errors: [] });
  });
});
