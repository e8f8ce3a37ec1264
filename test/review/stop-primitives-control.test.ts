/**
 * Review attacks: the hub's part of `stop()` (`shutdownHub`) with greenlets parked on every primitive and wait —
 * generator and async greenlets, each with a `finally` that makes a hub wait of its own. `stop()` ends, every one
 * of them dies (its cleanup ran), and nothing is reported stuck; the same beside a greenlet switching in a
 * `cooperate()` loop, which the kill reaches at its next switch point. (An async greenlet awaiting a plain Deferred is
 * in a foreign await, which no kill reaches — SPEC §6.1: its next hub wait takes the kill — so it is not in the table.)
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { GreenletExit } from '../../src/errors.js';
import { AsyncResult } from '../../src/green/async-result.js';
import { BoundedSemaphore } from '../../src/green/bounded-semaphore.js';
import { Event } from '../../src/green/event.js';
import { GreenPool } from '../../src/green/green-pool.js';
import { Group } from '../../src/green/group.js';
import { joinAll } from '../../src/green/join-all.js';
import type { Hub } from '../../src/green/hub.js';
import { Lock } from '../../src/green/lock.js';
import { Queue } from '../../src/green/queue.js';
import { Semaphore } from '../../src/green/semaphore.js';
import { shutdownHub } from '../../src/green/shutdown-hub.js';
import { waitForDeferred } from '../../src/green/wait-for-deferred.js';
import { withTimeout } from '../../src/green/with-timeout.js';
import { settleHub } from '../helpers/settle-hub.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

/** One wait per primitive, each made so that it blocks. */
function blockingWaits(hub: Hub): Array<[string, () => Deferred<unknown>]> {
  const full = new Queue<number>(1, hub);
  full.putNowait(1);
  const bounded = new BoundedSemaphore(1, hub);
  void bounded.acquire();
  const lock = new Lock(hub);
  void lock.acquire();
  const pool = new GreenPool(1, hub);
  pool.spawn(function* () {
    yield hub.sleep(60_000);
  });
  const group = new Group(hub);
  group.spawn(function* () {
    yield hub.sleep(60_000);
  });
  const other = hub.spawn(function* () {
    yield hub.sleep(60_000);
  });
  const e = new Event(hub);
  const result = new AsyncResult<number>(hub);
  const q = new Queue<number>(undefined, hub);
  const sem = new Semaphore(0, hub);
  return [
    ['Event.wait', () => e.wait()],
    ['AsyncResult.get', () => result.get()],
    ['Queue.get', () => q.get()],
    ['Queue.put (full)', () => full.put(2)],
    ['Semaphore.acquire', () => sem.acquire()],
    ['BoundedSemaphore.acquire', () => bounded.acquire()],
    ['Lock.acquire', () => lock.acquire()],
    ['Lock.run', () => lock.run(() => 1)],
    ['GreenPool.waitAvailable', () => pool.waitAvailable()],
    ['Group.join', () => group.join()],
    ['Greenlet.join', () => other.join()],
    ['sleep', () => hub.sleep(60_000)],
    ['withTimeout(Queue.get)', () => withTimeout(q.get(), 60_000, hub)],
    ['waitForDeferred', () => waitForDeferred(new Deferred<number>(), 60_000, hub.clock, hub)],
    ['joinAll', () => joinAll([other])],
    ['Greenlet.get', () => other.get()],
  ];
}

describe.each(['generator', 'async'])('shutdownHub with %s greenlets parked on every primitive', (kind) => {
  it('ends, and every parked greenlet dies after its cleanup ran, none reported stuck', async () => {
    const { hub, clock, errors } = makeVirtualHub();
    const cleaned: string[] = [];
    const parked = blockingWaits(hub).map(([name, wait]) =>
      kind === 'generator'
        ? hub.spawn(function* () {
            try {
              yield wait();
            } finally {
              yield hub.sleep(1); // cleanup that waits on the hub
              cleaned.push(name);
            }
          })
        : hub.spawn(async () => {
            try {
              await wait();
            } finally {
              await hub.sleep(1);
              cleaned.push(name);
            }
          }),
    );
    await settleHub(hub);
    let stopped = false;
    void shutdownHub(hub, 0).then(() => {
      stopped = true;
    });
    for (let i = 0; i < 20 && !stopped; i++) {
      await settleHub(hub, 1);
      clock.advance(1);
    }
    expect(stopped).toBe(true);
    expect(parked.filter((g) => !g.dead).map(String)).toEqual([]);
    expect(cleaned).toHaveLength(parked.length);
    expect(errors).toEqual([]);
  });
});

describe.each(['generator', 'async'])('shutdownHub with a %s greenlet inside a cooperate() loop beside greenlets parked', (kind) => {
  it('kills the looping greenlet at its next switch point and ends', async () => {
    const { hub, clock, errors } = makeVirtualHub();
    const cleaned: string[] = [];
    const q = new Queue<number>(undefined, hub);
    const parked = hub.spawn(function* () {
      try {
        yield q.get();
      } finally {
        cleaned.push('parked');
      }
    });
    let turns = 0;
    const loopBound = 1_000_000; // a guard: should the kill not reach it, the test fails instead of spinning forever
    // Each turn of the loop is a switch point; the cleanup makes a hub wait of its own.
    const looping =
      kind === 'generator'
        ? hub.spawn(function* () {
            try {
              while (turns++ < loopBound) yield hub.cooperate();
            } finally {
              yield hub.sleep(1);
              cleaned.push('loop');
            }
          })
        : hub.spawn(async () => {
            try {
              while (turns++ < loopBound) await hub.cooperate();
            } finally {
              await hub.sleep(1);
              cleaned.push('loop');
            }
          });
    for (let i = 0; i < 3; i++) {
      hub.flush(50);
      await nextTurn();
    }
    expect(turns).toBeGreaterThan(1);
    let stopped = false;
    void shutdownHub(hub, 0).then(() => {
      stopped = true;
    });
    for (let i = 0; i < 40 && !stopped; i++) {
      hub.flush(50);
      await nextTurn();
      clock.advance(1);
    }
    expect(stopped).toBe(true);
    expect([parked.dead, looping.dead]).toEqual([true, true]);
    expect(looping.value).toBeInstanceOf(GreenletExit); // killed, not ended by its bound
    expect(cleaned.sort()).toEqual(['loop', 'parked']);
    expect(errors).toEqual([]);
  });
});
