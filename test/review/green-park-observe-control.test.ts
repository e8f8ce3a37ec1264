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
import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { AsyncResult } from '../../src/green/async-result.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import type { Hub } from '../../src/green/hub.js';
import { Queue } from '../../src/green/queue.js';
import { waitForDeferred } from '../../src/green/wait-for-deferred.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { settleHub } from '../helpers/settle-hub.js';
import { revokedProxy } from '../helpers/hostile-values.js';
import { captureReports, restoreUnhandledErrorHandler } from '../helpers/unhandled-reports.js';
import { nextTurn } from '../helpers/next-turn.js';
import { collectUntil } from '../helpers/collect-garbage.js';
import type { Clock } from '../../src/time/clock.js';

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

/**
 * Parking marks a failure handled only when the parked greenlet takes it (SPEC §6.1; hub-wait.ts `observeOutcome`:
 * the caller marks a failure when it takes it as its own). A greenlet killed before `d` failed no longer waits on
 * it: `d`'s failure reached nobody and is reported once when `d` is collected, as any unobserved failure (§1).
 */
describe('the failure of a Deferred a greenlet parked on', () => {
  afterEach(restoreUnhandledErrorHandler);
  const collected = new Set<string>();
  const watch = new FinalizationRegistry<string>((tag) => collected.add(tag));

  type Park = (d: Deferred<unknown>, hub: Hub, clock: Clock) => unknown;
  const parks: Array<[string, Park]> = [
    ['yield d', (d) => d],
    ['yield waitForDeferred(d)', (d, hub, clock) => waitForDeferred(d, undefined, clock, hub)],
  ];

  /**
   * Park a greenlet on a fresh `d` (kept only by the returned `fail`).
   * @param tag - the message of the error `d` fails with (a report that arrives late, in another test, is told apart).
   * @returns the hub, its clock, the greenlet, and `fail()`, which fails `d` and lets go of it.
   */
  function parkOnFresh(park: Park, catchIt: boolean, tag: string): { hub: Hub; clock: Clock; g: Greenlet<unknown>; fail: () => void } {
    const { hub, clock } = makeVirtualHub();
    let d: Deferred<unknown> | null = new Deferred<unknown>();
    watch.register(d, tag);
    // Handed over as an argument, not closed over: the hub remembers the last function it spawned (for its name).
    const g = hub.spawn(function* (parked: unknown) {
      try {
        yield parked;
      } catch (error: unknown) {
        if (!catchIt) throw error;
      }
    }, park(d, hub, clock));
    hub.flush();
    const fail = (): void => {
      d!.errback(new Error(tag));
      d = null;
    };
    return { hub, clock, g, fail };
  }

  it.each(parks)('is reported when d is dropped, after the greenlet parked on it (%s) was killed', async (_name, park) => {
    const reports = captureReports();
    const { hub, g, fail } = parkOnFresh(park, true, `d failed (killed, ${_name})`);
    void g.kill();
    await settleHub(hub);
    expect(g.dead).toBe(true);
    fail();
    const mine = (): string[] => reports.map((f) => String(f.value)).filter((m) => m === `Error: d failed (killed, ${_name})`);
    await collectUntil(() => mine().length > 0, 100);
    expect(mine()).toEqual([`Error: d failed (killed, ${_name})`]);
  });

  it('is reported when d is dropped, after waitForDeferred(d, ms) in the greenlet timed out', async () => {
    const reports = captureReports();
    const { hub, clock, g, fail } = parkOnFresh((d, h, c) => waitForDeferred(d, 10, c, h), true, 'd failed (timed out)');
    clock.advance(10);
    await settleHub(hub);
    expect(g.dead).toBe(true);
    fail();
    const mine = (): string[] => reports.map((f) => String(f.value)).filter((m) => m === 'Error: d failed (timed out)');
    await collectUntil(() => mine().length > 0, 100);
    expect(mine()).toEqual(['Error: d failed (timed out)']);
  });

  it.each(parks)('is handled when the parked greenlet (%s) takes it', async (_name, park) => {
    const reports = captureReports();
    const { hub, g, fail } = parkOnFresh(park, true, `d failed (taken, ${_name})`);
    fail();
    await settleHub(hub);
    expect(g.successful()).toBe(true);
    const tag = `d failed (taken, ${_name})`;
    await collectUntil(() => collected.has(tag), 100);
    await nextTurn(); // a report would come from d's own registry entry, run in the same round or the next
    expect(collected.has(tag)).toBe(true);
    expect(reports.map((f) => String(f.value)).filter((m) => m === `Error: ${tag}`)).toEqual([]);
  });

  it.each(parks)('is handled when the greenlet (%s) is killed after d failed, before it ran again (the kill is thrown in in its place)', async (_name, park) => {
    const reports = captureReports();
    const { hub, g, fail } = parkOnFresh(park, true, `d failed (killed after, ${_name})`);
    fail(); // the greenlet is queued with the failure
    void g.kill();
    await settleHub(hub);
    expect(g.dead).toBe(true);
    const tag = `d failed (killed after, ${_name})`;
    await collectUntil(() => collected.has(tag), 100);
    await nextTurn(); // a report would come from d's own registry entry, run in the same round or the next
    expect(collected.has(tag)).toBe(true);
    expect(reports.map((f) => String(f.value)).filter((m) => m === `Error: ${tag}`)).toEqual([]);
  });
});
