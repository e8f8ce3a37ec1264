/**
 * Review attacks: `withTimeout(AsyncResult.get() | Event.wait(), ms)` awaited by an async greenlet (and yielded by a
 * generator greenlet) that is killed at every step of the wait — parked, in the turn the timeout fired, in the turn
 * the primitive was served, in the `finally` that waits again. Each time: the greenlet dies with the kill, `kill()`
 * fires, the `withTimeout` Deferred fires exactly once, no timer is left on the clock, the primitive still serves
 * the next waiter, and nothing is reported — on the hub's `'error'`, as an unhandled rejection, or as an unhandled
 * failure of a Deferred once collected (the timeout's failure, superseded by the kill, counts as handled: the
 * greenlet that awaited it was its taker).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Deferred } from '../../src/deferred/deferred.js';
import type { Failure } from '../../src/deferred/failure.js';
import { AsyncResult } from '../../src/green/async-result.js';
import { Event } from '../../src/green/event.js';
import { Queue } from '../../src/green/queue.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import type { Hub } from '../../src/green/hub.js';
import { withTimeout } from '../../src/green/with-timeout.js';
import { GreenletExit } from '../../src/errors.js';
import { settleHub } from '../helpers/settle-hub.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { expectNoUnhandledRejections } from '../helpers/unhandled-rejections.js';
import { captureReports, restoreUnhandledErrorHandler } from '../helpers/unhandled-reports.js';

expectNoUnhandledRejections();
afterEach(restoreUnhandledErrorHandler);

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('These tests need node --expose-gc (npm run jest passes it)');

/**
 * Collect garbage and let finalizers run, a few rounds (a Deferred left holding a failure nobody handled is reported
 * once it is collected). @returns the unhandled failures reported, by their error's string.
 */
async function reportsAfterCollection(reports: Failure[]): Promise<string[]> {
  for (let i = 0; i < 5 && reports.length === 0; i++) {
    gc!();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return reports.map((f) => String(f.value));
}

/** A primitive with one wait to time out, how to serve it, and whether a new waiter is served after. */
interface Primitive {
  wait: () => Deferred<unknown>;
  serve: () => void;
  /** A wait made now (after the kill) fires with the primitive's value: it still serves waiters. */
  servesNext: (hub: Hub) => Promise<boolean>;
}

function asyncResult(hub: Hub): Primitive {
  const r = new AsyncResult<string>(hub);
  return {
    wait: () => r.get(),
    serve: () => r.set('value'),
    servesNext: async (h) => {
      let got: unknown = null;
      r.set('again'); // first: a result set before answers a get() at once, with that result
      void r.get().addCallback((v: unknown) => void (got = v));
      await settleHub(h);
      return got === 'again';
    },
  };
}

function event(hub: Hub): Primitive {
  const e = new Event(hub);
  return {
    wait: () => e.wait(),
    serve: () => e.set(),
    servesNext: async (h) => {
      e.clear();
      let got: unknown = null;
      void e.wait().addCallback((v: unknown) => void (got = v));
      e.set();
      await settleHub(h);
      return got === true;
    },
  };
}

type When = 'parked' | 'timed out, before it ran' | 'served, before it ran' | 'in its finally, waiting again';
const whens: When[] = ['parked', 'timed out, before it ran', 'served, before it ran', 'in its finally, waiting again'];
const primitives: Array<[string, (hub: Hub) => Primitive]> = [
  ['AsyncResult.get', asyncResult],
  ['Event.wait', event],
];

describe.each(['async', 'generator'])('a %s greenlet waiting on withTimeout(primitive, 10), killed', (kind) => {
  describe.each(primitives)('%s', (_name, make) => {
    it.each(whens)('%s: dies with the kill, the timeout fires once, no timer is left, the primitive serves on, no failure is left unhandled', async (when) => {
      const reports = captureReports();
      await run(when);
      expect(await reportsAfterCollection(reports)).toEqual([]);
    });

    /** The scenario, in a function of its own so that nothing of it is reachable once it returns. */
    async function run(when: When): Promise<void> {
      const { hub, clock, errors } = makeVirtualHub();
      const p = make(hub);
      const limited: Array<Deferred<unknown>> = [];
      const fired: number[] = [];
      const limit = (): Deferred<unknown> => {
        const d = withTimeout(p.wait(), 10, hub);
        const k = limited.length;
        limited.push(d);
        fired.push(0);
        d.addBoth((r: unknown) => {
          fired[k]!++;
          return r;
        });
        return d;
      };
      let reachedFinally = false;
      const g: Greenlet<unknown> =
        kind === 'async'
          ? hub.spawn(async () => {
              try {
                await limit();
              } finally {
                reachedFinally = true;
                if (when === 'in its finally, waiting again') await limit();
              }
            })
          : hub.spawn(function* () {
              try {
                yield limit();
              } finally {
                reachedFinally = true;
                if (when === 'in its finally, waiting again') yield limit();
              }
            });
      await settleHub(hub);
      if (when === 'timed out, before it ran') clock.advance(10);
      if (when === 'served, before it ran') p.serve();
      if (when === 'in its finally, waiting again') {
        g.kill(); // first kill: into its finally, where it waits again
        await settleHub(hub);
      }
      let killed = 0;
      void g.kill().addCallback(() => void killed++);
      await settleHub(hub);
      expect(clock.getDelayedCalls()).toEqual([]); // the kill let go of every timeout's timer
      clock.advance(10); // nothing fires later either
      await settleHub(hub);
      expect(g.dead).toBe(true);
      expect(reachedFinally).toBe(true);
      expect(g.successful() && g.value instanceof GreenletExit).toBe(true);
      expect(killed).toBe(1);
      expect(fired).toEqual(limited.map(() => 1));
      expect(await p.servesNext(hub)).toBe(true);
      expect(errors).toEqual([]);
    }
  });
});

describe('an async greenlet killed in the turn its own timed wait failed, before it ran again', () => {
  it.each<[string, (hub: Hub) => () => Deferred<unknown>]>([
    ['Queue.get(10)', (hub) => () => new Queue<string>(undefined, hub).get(10)],
    ['Queue.put(x, 10) on a full queue', (hub) => {
      const full = new Queue<string>(1, hub);
      full.putNowait('held');
      return () => full.put('more', 10);
    }],
    ['AsyncResult.get(10)', (hub) => () => new AsyncResult<string>(hub).get(10)],
  ])('%s: dies with the kill and leaves no failure unhandled', async (_name, make) => {
    const reports = captureReports();
    await (async (): Promise<void> => {
      const { hub, clock, errors } = makeVirtualHub();
      const wait = make(hub);
      const g = hub.spawn(async () => {
        await wait();
      });
      await settleHub(hub);
      clock.advance(10); // the wait fails; its greenlet is queued to take that failure
      void g.kill();
      await settleHub(hub);
      expect(g.dead && (g.value as unknown) instanceof GreenletExit).toBe(true);
      expect(errors).toEqual([]);
    })();
    expect(await reportsAfterCollection(reports)).toEqual([]);
  });
});
