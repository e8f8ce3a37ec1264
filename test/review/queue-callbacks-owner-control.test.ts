/**
 * Review attacks: who owns what a served wait was handed when its greenlet is killed (or timed out by its caller)
 * after the serve, before it ran again, and the greenlet's code gave the wait callbacks. A `Queue` item that a
 * callback taking the value ran with is that callback's: it is not put back (it would be taken twice). An item no
 * such callback saw (errback only, a library wrapper such as `withTimeout`) goes back. A `Lock`/`Semaphore` token
 * goes back, once: its callbacks only saw `true`, and only the greenlet's own code would release it — unless a callback
 * released it itself, before the kill (then the kill gives nothing) or after it (then that release does nothing).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { BoundedSemaphore } from '../../src/green/bounded-semaphore.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import type { Hub } from '../../src/green/hub.js';
import { Lock } from '../../src/green/lock.js';
import { Queue } from '../../src/green/queue.js';
import { Semaphore } from '../../src/green/semaphore.js';
import { withTimeout } from '../../src/green/with-timeout.js';
import { serveThenEnd, waiterEndings, waiterKinds, type WaiterKind } from '../green/fixtures/served-waiter.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';
import { settleHub } from '../helpers/settle-hub.js';

afterEach(async () => {
  await nextTurn();
});

/** Spawn a greenlet of `kind` that makes `make()`, lets `give(d)` add its callbacks, then waits on the result. */
function spawnWithCallbacks(hub: Hub, kind: WaiterKind, make: () => Deferred<unknown>, give: (d: Deferred<unknown>) => Deferred<unknown>): Greenlet<void> {
  if (kind === 'generator') {
    return hub.spawn(function* () {
      yield give(make());
    });
  }
  return hub.spawn(async () => {
    await give(make());
  });
}

describe.each(waiterKinds)('a %s greenlet waiting on Queue.get', (kind) => {
  describe.each(waiterEndings)('%s after the item was served, before it ran again', (ending) => {
    /** How the greenlet's code gives the wait a callback that takes the item (and records it in `took`). */
    const takers: [string, (d: Deferred<unknown>, took: unknown[]) => void][] = [
      ['addCallback', (d, took) => void d.addCallback((item) => void took.push(item))],
      ['addBoth', (d, took) => void d.addBoth((item) => void took.push(item))],
      ['addCallbacks', (d, took) => void d.addCallbacks((item) => void took.push(item), null)],
    ];

    it.each(takers)('an item an %s callback took is taken once: not put back, not served again', async (_name, take) => {
      const { hub, clock } = makeVirtualHub();
      const q = new Queue<string>(undefined, hub);
      const took: unknown[] = [];
      const g = spawnWithCallbacks(hub, kind, () => q.get(), (d) => (take(d, took), d));
      await settleHub(hub, 3);
      serveThenEnd(hub, clock, g, ending, () => q.putNowait('item'));
      const next: unknown[] = [];
      hub.spawn(function* () {
        next.push(yield q.get()); // the item, if the kill put it back
      });
      await settleHub(hub, 3);
      expect([g.dead, took, next, q.qsize()]).toEqual([true, ['item'], [], 0]);
    });

    it('an item only an errback was there for goes back to the queue', async () => {
      const { hub, clock } = makeVirtualHub();
      const q = new Queue<string>(undefined, hub);
      const g = spawnWithCallbacks(hub, kind, () => q.get(60_000), (d) => d.addErrback(() => 'timed out'));
      await settleHub(hub, 3);
      serveThenEnd(hub, clock, g, ending, () => q.putNowait('item'));
      await settleHub(hub, 3);
      expect(g.dead).toBe(true);
      expect(q.getNowait()).toBe('item');
    });

    it('an item served through withTimeout (the library observing it, not the greenlet code) goes back', async () => {
      const { hub, clock } = makeVirtualHub();
      const q = new Queue<string>(undefined, hub);
      const g = spawnWithCallbacks(hub, kind, () => withTimeout(q.get(), 60_000, hub), (d) => d);
      await settleHub(hub, 3);
      serveThenEnd(hub, clock, g, ending, () => q.putNowait('item'));
      await settleHub(hub, 3);
      expect(g.dead).toBe(true);
      expect(q.getNowait()).toBe('item');
    });
  });
});

describe.each(waiterKinds)('a %s greenlet waiting on a token with callbacks', (kind) => {
  describe.each(waiterEndings)('%s after the token was handed over, before it ran again', (ending) => {
    it('a Lock token goes back although its acquire had an addCallback callback', async () => {
      const { hub, clock } = makeVirtualHub();
      const lock = new Lock(hub);
      lock.acquire(); // held outside: the greenlet waits
      const saw: unknown[] = [];
      const g = spawnWithCallbacks(hub, kind, () => lock.acquire(), (d) => {
        d.addCallback((got) => {
          saw.push(got);
          return got;
        });
        return d;
      });
      await settleHub(hub, 3);
      serveThenEnd(hub, clock, g, ending, () => lock.release());
      await settleHub(hub, 3);
      expect(g.dead).toBe(true);
      expect(saw).toEqual([true]);
      expect(lock.locked()).toBe(false);
    });

    it('a Semaphore token given to a greenlet with callbacks goes on to the next waiter', async () => {
      const { hub, clock } = makeVirtualHub();
      const sem = new Semaphore(0, hub);
      const g = spawnWithCallbacks(hub, kind, () => sem.acquire(), (d) => {
        d.addBoth((got) => got);
        return d;
      });
      const next: unknown[] = [];
      await settleHub(hub, 3);
      hub.spawn(function* () {
        next.push(yield sem.acquire());
      });
      await settleHub(hub, 3);
      serveThenEnd(hub, clock, g, ending, () => sem.release());
      await settleHub(hub, 3);
      expect(g.dead).toBe(true);
      expect(next).toEqual([true]);
    });
  });
});

describe.each(waiterKinds)('a %s greenlet whose acquire callback releases the token itself', (kind) => {
  describe.each(waiterEndings)('%s after the token was handed over, before it ran again', (ending) => {
    it('a Semaphore gives the token back once: its counter stays at its start value', async () => {
      const { hub, clock, errors } = makeVirtualHub();
      const sem = new Semaphore(1, hub);
      sem.acquire(); // held outside: the greenlet waits
      const g = spawnWithCallbacks(hub, kind, () => sem.acquire(), (d) => d.addCallback(() => sem.release()));
      await settleHub(hub, 3);
      serveThenEnd(hub, clock, g, ending, () => sem.release());
      await settleHub(hub, 3);
      expect([g.dead, sem.counter, errors]).toEqual([true, 1, []]);
    });

    it('a Lock stays a lock: two greenlets never hold it at once after the kill', async () => {
      const { hub, clock, errors } = makeVirtualHub();
      const lock = new Lock(hub);
      lock.acquire();
      const g = spawnWithCallbacks(hub, kind, () => lock.acquire(), (d) => d.addCallback(() => lock.release()));
      await settleHub(hub, 3);
      serveThenEnd(hub, clock, g, ending, () => lock.release());
      await settleHub(hub, 3);
      const got = [lock.acquire(), lock.acquire()].map((d) => {
        let r: unknown = 'pending';
        d.addBoth((x) => (r = x));
        return r;
      });
      expect([g.dead, got, errors]).toEqual([true, [true, 'pending'], []]);
    });

    it('a BoundedSemaphore kill raises nothing and the bound holds', async () => {
      const { hub, clock, errors } = makeVirtualHub();
      const sem = new BoundedSemaphore(2, hub);
      sem.acquire();
      sem.acquire();
      const g = spawnWithCallbacks(hub, kind, () => sem.acquire(), (d) => d.addCallback(() => sem.release()));
      await settleHub(hub, 3);
      serveThenEnd(hub, clock, g, ending, () => sem.release());
      await settleHub(hub, 3);
      expect([g.dead, sem.counter, errors]).toEqual([true, 1, []]);
    });
  });
});

describe.each(waiterKinds)('a %s greenlet whose acquire callback releases the token after the kill', (kind) => {
  it('the release of a token the kill already gave back does nothing: a Lock is not freed under its next holder', async () => {
    const { hub, errors } = makeVirtualHub();
    const lock = new Lock(hub);
    lock.acquire();
    const work = new Deferred<void>();
    const g = spawnWithCallbacks(hub, kind, () => lock.acquire(), (d) => d.addCallback(() => work).addCallback(() => lock.release()));
    await settleHub(hub, 3);
    lock.release(); // served to g, whose chain now waits on `work`
    await g.kill(); // the token goes back: the kill cannot tell the chain will release it
    const next = lock.acquire();
    let held: unknown = 'pending';
    next.addCallback((x) => (held = x));
    work.callback(undefined); // the chain releases the same token: nothing happens
    await settleHub(hub, 3);
    expect([held, lock.locked(), errors]).toEqual([true, true, []]);
  });

  it('a second release from the same callback is an ordinary one: a BoundedSemaphore still refuses it', async () => {
    const { hub } = makeVirtualHub();
    const sem = new BoundedSemaphore(1, hub);
    sem.acquire();
    const thrown: unknown[] = [];
    const g = spawnWithCallbacks(hub, kind, () => sem.acquire(), (d) =>
      d.addCallback(() => {
        sem.release();
        try {
          sem.release();
        } catch (error: unknown) {
          thrown.push(error);
        }
      }),
    );
    await settleHub(hub, 3);
    sem.release();
    await g.kill();
    expect([thrown.map((e) => (e as Error).name), sem.counter]).toEqual([['RangeError'], 1]);
  });
});
