/**
 * An async greenlet is killable at a hub wait that another hub made: a primitive bound to another hub, that hub's
 * `sleep`, a greenlet of that hub awaited or joined, a `joinAll` over greenlets of two hubs (whose wait the first
 * greenlet's hub makes), a primitive given no hub (the default hub makes its waits). SPEC §6.1: `sleep(ms)` works "in greenlets of any hub", and a kill rejects the greenlet's
 * pending hub wait.
 *
 * Why this can fail: each hub knows its own greenlets (its current step, its greenlet identity), and a wait is owned
 * by the greenlet the *making* hub finds running. A wait made by hub A for a greenlet of hub B found none: it was an
 * ordinary Deferred, so B's greenlet awaited it as a foreign await, and a kill did not reach it until it fired (for
 * an Event never set, or a greenlet that never ends: never), so `kill()` and `stop()` waited on it.
 *
 * Synchronisation: virtual Clocks, `hub.flush()` and macrotask turns (settleHub); no sleeps.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Event } from '../../src/green/event.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import type { Hub } from '../../src/green/hub.js';
import { joinAll } from '../../src/green/join-all.js';
import { Queue } from '../../src/green/queue.js';
import { GreenletExit } from '../../src/errors.js';
import { makeVirtualHub, type VirtualHub } from '../helpers/virtual-hub.js';
import { settleHub } from '../helpers/settle-hub.js';

/** A greenlet of `hub` parked on an Event nobody sets, and that Event. */
function parked(hub: Hub): { g: Greenlet<unknown>; gate: Event } {
  const gate = new Event(hub);
  const g = hub.spawn(function* () {
    yield gate.wait();
  });
  return { g, gate };
}

async function settleBoth(a: VirtualHub, b: VirtualHub): Promise<void> {
  await settleHub(a.hub);
  await settleHub(b.hub);
  await settleHub(a.hub);
}

/** What an async greenlet of hub B awaits, made by hub A (or its greenlets, or its primitives). */
const waits: Array<[string, (a: VirtualHub, b: VirtualHub) => PromiseLike<unknown>]> = [
  ['hubA.sleep(100)', (a) => a.hub.sleep(100)],
  ['an Event of hub A: wait()', (a) => new Event(a.hub).wait()],
  ['a Queue of hub A: get()', (a) => new Queue<number>(0, a.hub).get()],
  ['an Event given no hub (the default hub makes its wait)', () => new Event().wait()],
  ['a greenlet of hub A: join()', (a) => parked(a.hub).g.join()],
  ['a greenlet of hub A: await g', (a) => parked(a.hub).g],
  ['joinAll([greenlet of A, greenlet of B])', (a, b) => joinAll([parked(a.hub).g, parked(b.hub).g], { hub: b.hub })],
];

describe('an async greenlet of hub B awaiting a hub wait hub A made', () => {
  it.each(waits)('is killed there (%s): finally runs, the code after never does', async (_name, wait) => {
    const a = makeVirtualHub();
    const b = makeVirtualHub();
    const seen: string[] = [];
    const g = b.hub.spawn(async () => {
      try {
        await wait(a, b);
        seen.push('after');
      } finally {
        seen.push('finally');
      }
    });
    await settleBoth(a, b);
    expect(seen).toEqual([]);
    const done = g.kill();
    await settleBoth(a, b);
    expect(done.called).toBe(true);
    expect(g.value).toBeInstanceOf(GreenletExit);
    expect(seen).toEqual(['finally']);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  it('parks on hubA.sleep(5) and resumes with hub B when hub A\'s clock reaches it; a kill cancels the timer', async () => {
    const a = makeVirtualHub();
    const b = makeVirtualHub();
    const seen: string[] = [];
    const g = b.hub.spawn(async () => {
      await a.hub.sleep(5);
      seen.push('slept');
      await a.hub.sleep(50);
      seen.push('slept again');
    });
    await settleBoth(a, b);
    expect(b.hub.stats().parked).toBe(1);
    a.clock.advance(5);
    await settleBoth(a, b);
    expect(seen).toEqual(['slept']);
    await g.kill();
    expect(a.clock.getDelayedCalls()).toEqual([]);
    expect(seen).toEqual(['slept']);
  });

  it('leaves the Queue line of hub A when killed: the next item goes to the next getter', async () => {
    const a = makeVirtualHub();
    const b = makeVirtualHub();
    const q = new Queue<string>(0, a.hub);
    const g = b.hub.spawn(async () => q.get());
    await settleBoth(a, b);
    await g.kill();
    const next = q.get();
    q.putNowait('x');
    expect(await next).toBe('x');
    expect(q.qsize()).toBe(0);
  });
});
