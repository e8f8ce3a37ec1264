/**
 * Review attacks: an async greenlet awaits one of the awaitables the green API hands out — a greenlet itself, an
 * `Event` or `AsyncResult` (their `then`), a full pool's `spawn` or `waitAvailable`, a blocked `Semaphore.run`, a
 * queue's async iteration, `imap` — and is killed while it waits there. A kill reaches it there as at any switch point:
 * its `finally` runs, the code after the await never does, and nothing it waited for is lost.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { AsyncResult } from '../../src/green/async-result.js';
import { Event } from '../../src/green/event.js';
import { GreenPool } from '../../src/green/green-pool.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import type { Hub } from '../../src/green/hub.js';
import { Queue } from '../../src/green/queue.js';
import { Semaphore } from '../../src/green/semaphore.js';
import { GreenletExit } from '../../src/errors.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { spawnRecordingWaiter } from '../green/fixtures/recording-waiter.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

/** An async greenlet that awaits `wait()` once, recording what ran. */
const spawnAwaiter = (hub: Hub, wait: () => PromiseLike<unknown>, seen: string[]): Greenlet<unknown> => spawnRecordingWaiter(hub, 'async', wait, seen);

/** Kill `g` once it waits, and check it ended there. */
async function killWhileWaiting(hub: Hub, g: Greenlet<unknown>, seen: string[]): Promise<void> {
  hub.flush();
  await Promise.resolve();
  await g.kill();
  expect(g.value).toBeInstanceOf(GreenletExit);
  expect(seen).toEqual(['finally']);
}

describe('an async greenlet killed while it awaits a green awaitable', () => {
  it('`await otherGreenlet`: the kill reaches it; the other greenlet runs on and finishes', async () => {
    const { hub, errors } = makeVirtualHub();
    const gate = new Event(hub);
    const other = hub.spawn(function* () {
      yield gate.wait();
      return 'done';
    });
    const seen: string[] = [];
    const g = spawnAwaiter(hub, () => other, seen);
    await killWhileWaiting(hub, g, seen);
    expect(other.dead).toBe(false);
    gate.set();
    hub.flush();
    expect(other.value).toBe('done');
    expect(errors).toEqual([]);
  });

  it('`await event`: the kill reaches it; a later set() wakes the other waiters', async () => {
    const { hub } = makeVirtualHub();
    const event = new Event(hub);
    const seen: string[] = [];
    const g = spawnAwaiter(hub, () => event, seen);
    await killWhileWaiting(hub, g, seen);
    const later = event.wait();
    event.set();
    expect(later.called).toBe(true);
  });

  it('`await asyncResult`: the kill reaches it', async () => {
    const { hub } = makeVirtualHub();
    const result = new AsyncResult<string>(hub);
    const seen: string[] = [];
    const g = spawnAwaiter(hub, () => result, seen);
    await killWhileWaiting(hub, g, seen);
  });

  it('`await pool.spawn(fn)` on a full pool: the kill reaches it; the spawned greenlet still runs when a slot frees', async () => {
    const { hub } = makeVirtualHub();
    const pool = new GreenPool(1, hub);
    const gate = new Event(hub);
    pool.spawn(function* () {
      yield gate.wait();
    });
    let queued: Greenlet<string> | null = null;
    const seen: string[] = [];
    const g = spawnAwaiter(
      hub,
      () =>
        (queued = pool.spawn(function* () {
          yield;
          return 'ran';
        })),
      seen,
    );
    await killWhileWaiting(hub, g, seen);
    gate.set();
    hub.flush();
    expect(queued!.value).toBe('ran');
  });

  it('`await pool.waitAvailable()`: the kill reaches it; the freed slot is still free', async () => {
    const { hub } = makeVirtualHub();
    const pool = new GreenPool(1, hub);
    const gate = new Event(hub);
    pool.spawn(function* () {
      yield gate.wait();
    });
    const seen: string[] = [];
    const g = spawnAwaiter(hub, () => pool.waitAvailable(), seen);
    await killWhileWaiting(hub, g, seen);
    gate.set();
    hub.flush();
    expect(pool.freeCount()).toBe(1);
  });

  it('`await sem.run(fn)` waiting for a token: the kill reaches it, fn never runs, the token goes to the next one', async () => {
    const { hub } = makeVirtualHub();
    const sem = new Semaphore(0, hub);
    let ran = false;
    const seen: string[] = [];
    const g = spawnAwaiter(hub, () => sem.run(() => (ran = true)), seen);
    await killWhileWaiting(hub, g, seen);
    sem.release();
    expect(ran).toBe(false);
    expect(sem.counter).toBe(1);
  });

  it('`for await (const x of queue)`: the kill reaches it; a later item stays in the queue', async () => {
    const { hub } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const seen: string[] = [];
    const g = spawnAwaiter(
      hub,
      async () => {
        for await (const item of q) seen.push(item);
      },
      seen,
    );
    await killWhileWaiting(hub, g, seen);
    q.putNowait('later');
    expect(q.qsize()).toBe(1);
  });

  it('`for await (… of pool.imap(fn, items))`: the kill reaches it and what imap still runs is killed', async () => {
    const { hub } = makeVirtualHub();
    const pool = new GreenPool(2, hub);
    const gate = new Event(hub);
    const seen: string[] = [];
    const g = spawnAwaiter(
      hub,
      async () => {
        for await (const v of pool.imap((n: number) => gate.wait().addCallback(() => n), [1, 2])) seen.push(String(v));
      },
      seen,
    );
    await killWhileWaiting(hub, g, seen);
    hub.flush();
    expect(hub.stats().live).toBe(0);
  });
});
