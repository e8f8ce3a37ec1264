/**
 * Review attacks: a greenlet waiting on a primitive through `withTimeout(wait, ms)` (gevent's
 * `with_timeout(seconds, sem.acquire)`) is killed. Its wait must leave the primitive's line, and a token or item
 * already handed to it before it ran again must go on to the next waiter: nothing held or lost by a dead greenlet.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Queue } from '../../src/green/queue.js';
import { Semaphore } from '../../src/green/semaphore.js';
import { withTimeout } from '../../src/green/with-timeout.js';
import { successResultOf } from '../helpers/deferred-results.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { spawnWaiter, waiterKinds } from '../green/fixtures/served-waiter.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

describe('withTimeout() around a primitive wait', () => {
  it.each(waiterKinds)('a killed %s greenlet parked on withTimeout(sem.acquire()) leaves the line: the next release goes to the next waiter', async (kind) => {
    const { hub } = makeVirtualHub();
    const sem = new Semaphore(0, hub);
    const a = spawnWaiter(hub, kind, () => withTimeout(sem.acquire(), 60_000, hub));
    hub.flush();
    await Promise.resolve();
    await a.kill();
    expect(a.dead).toBe(true);
    const b = sem.acquire();
    sem.release();
    expect(successResultOf(b)).toBe(true);
  });

  it.each(waiterKinds)('a %s greenlet killed after withTimeout(sem.acquire()) was served, before it ran again, hands the token on', async (kind) => {
    const { hub } = makeVirtualHub();
    const sem = new Semaphore(0, hub);
    let got: unknown = 'nothing';
    const a = spawnWaiter(hub, kind, () => withTimeout(sem.acquire(), 60_000, hub), (v) => {
      got = v;
    });
    hub.flush();
    await Promise.resolve();
    sem.release();
    const killed = a.kill();
    hub.flush();
    await a.join();
    successResultOf(killed);
    expect(got).toBe('nothing');
    expect(successResultOf(sem.acquire())).toBe(true);
  });

  it.each(waiterKinds)('a %s greenlet killed after withTimeout(q.get()) was served, before it ran again, gives the item back', async (kind) => {
    const { hub } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    let got: unknown = 'nothing';
    const a = spawnWaiter(hub, kind, () => withTimeout(q.get(), 60_000, hub), (v) => {
      got = v;
    });
    hub.flush();
    await Promise.resolve();
    q.putNowait('item');
    void a.kill();
    hub.flush();
    await a.join();
    expect(got).toBe('nothing');
    expect(q.qsize()).toBe(1);
  });
});

describe('withTimeout() around a primitive wait, timing out', () => {
  it.each(waiterKinds)('a %s greenlet whose withTimeout(sem.acquire(), 10) times out in the turn a release comes after it loses no token', async (kind) => {
    const { hub, clock } = makeVirtualHub();
    const sem = new Semaphore(0, hub);
    let got: unknown = 'nothing';
    const a = spawnWaiter(hub, kind, () => withTimeout(sem.acquire(), 10, hub).addErrback((f) => f.value), (v) => {
      got = v;
    });
    hub.flush();
    await Promise.resolve();
    clock.callLater(10, () => sem.release()); // after the timeout's timer: both fire in one advance, timeout first
    clock.advance(10);
    hub.flush();
    await a.join();
    expect(a.exception).toBeUndefined();
    expect(got).toMatchObject({ name: 'TimeoutError' });
    expect(sem.counter).toBe(1);
  });
});
