/**
 * Review attacks: an async greenlet awaits a hub wait it first gave callbacks to (`await q.get(10).addErrback(…)`,
 * `await sem.run(fn)`). Awaiting a Deferred gives the chain's result at that point (SPEC §1), so the greenlet
 * resumes with what its callbacks made of the outcome, not with the wait's bare outcome; a kill still goes straight
 * in at the wait, past those callbacks.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import type { Failure } from '../../src/deferred/failure.js';
import { Event } from '../../src/green/event.js';
import { Queue } from '../../src/green/queue.js';
import { Semaphore } from '../../src/green/semaphore.js';
import { successResultOf } from '../helpers/deferred-results.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

/** Let a just-spawned async greenlet run to its hub wait. */
async function parkAll(hub: { flush(): number }): Promise<void> {
  hub.flush();
  await Promise.resolve();
}

describe('an async greenlet awaiting a hub wait it gave callbacks to', () => {
  it('resumes with what addCallback made of Event.wait()', async () => {
    const { hub } = makeVirtualHub();
    const e = new Event(hub);
    const g = hub.spawn(async () => await e.wait().addCallback((set) => `set: ${String(set)}`));
    await parkAll(hub);
    e.set();
    expect(await g).toBe('set: true');
  });

  it('resumes with what addCallback made of a Semaphore.acquire(ms) that timed out', async () => {
    const { hub, clock } = makeVirtualHub();
    const sem = new Semaphore(0, hub);
    const g = hub.spawn(async () => await sem.acquire(10).addCallback((got) => (got ? 'token' : 'no token')));
    await parkAll(hub);
    clock.advance(10);
    expect(await g).toBe('no token');
  });

  it('resumes with what addErrback made of a Queue.get(ms) that timed out, instead of throwing QueueEmpty', async () => {
    const { hub, clock } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const g = hub.spawn(async () => await q.get(10).addErrback((f: Failure) => `caught ${(f.value as Error).name}`));
    await parkAll(hub);
    clock.advance(10);
    expect(await g).toBe('caught QueueEmpty');
  });

  it('resumes with what addErrback made of a cancelled sleep()', async () => {
    const { hub } = makeVirtualHub();
    let sleep: Deferred<void> | null = null;
    const g = hub.spawn(async () => {
      sleep = hub.sleep(1000);
      return await sleep.addErrback(() => 'woken early');
    });
    await parkAll(hub);
    sleep!.cancel();
    expect(await g).toBe('woken early');
  });

  it('resumes with what addCallback made of cooperate()', async () => {
    const { hub } = makeVirtualHub();
    const g = hub.spawn(async () => await hub.cooperate().addCallback(() => 'my turn again'));
    hub.flush();
    expect(await g).toBe('my turn again');
  });

  it('awaiting Semaphore.run(fn) that had to wait for a token resumes with fn\'s result, after fn ran', async () => {
    const { hub } = makeVirtualHub();
    const sem = new Semaphore(0, hub);
    const ran: string[] = [];
    const g = hub.spawn(async () => {
      const r = await sem.run(() => {
        ran.push('fn');
        return 5;
      });
      ran.push('resumed');
      return r;
    });
    await parkAll(hub);
    sem.release();
    expect(await g).toBe(5);
    expect(ran).toEqual(['fn', 'resumed']);
    expect(sem.counter).toBe(1); // run released the token it took
  });

  it('resumes only once a Deferred its callback returned has fired, with that Deferred\'s result', async () => {
    const { hub } = makeVirtualHub();
    const q = new Queue<number>(undefined, hub);
    const later = new Deferred<string>();
    let resumed = false;
    const g = hub.spawn(async () => {
      const r = await q.get().addCallback((n) => later.addCallback((s) => `${s} ${n}`));
      resumed = true;
      return r;
    });
    await parkAll(hub);
    q.putNowait(7);
    hub.flush();
    await Promise.resolve();
    expect(resumed).toBe(false);
    later.callback('item');
    expect(await g).toBe('item 7');
  });

  it('is killed at the wait: its errback sees the kill (the wait fires once) but cannot swallow it, and the waiter leaves the line', async () => {
    const { hub } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const seen: string[] = [];
    const g = hub.spawn(async () => {
      await q.get().addErrback(() => {
        seen.push('errback');
      });
      seen.push('resumed');
    });
    await parkAll(hub);
    await g.kill();
    expect(g.value).toMatchObject({ name: 'GreenletExit' });
    expect(seen).toEqual(['errback']);
    q.putNowait('item');
    expect(successResultOf(q.get())).toBe('item');
  });
});
