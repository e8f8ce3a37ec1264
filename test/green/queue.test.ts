import { afterEach, describe, expect, it } from '@jest/globals';
import { Queue } from '../../src/green/queue.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { makeVirtualHub, type VirtualHub } from '../helpers/virtual-hub.js';
import { serveThenEnd, spawnWaiter, waiterEndings, waiterKinds } from './fixtures/served-waiter.js';
import { nextTurn } from '../helpers/next-turn.js';

const makeHub = (): VirtualHub => makeVirtualHub();

afterEach(async () => {
  await nextTurn();
});

describe('Queue', () => {
  it('hands items out in FIFO order', () => {
    const q = new Queue<number>(undefined, makeHub().hub);
    q.putNowait(1);
    q.putNowait(2);
    expect(q.qsize()).toBe(2);
    expect(successResultOf(q.get())).toBe(1);
    expect(q.getNowait()).toBe(2);
    expect(q.empty()).toBe(true);
  });

  it('without maxsize (or with 0) is unbounded', () => {
    const { hub } = makeHub();
    for (const q of [new Queue<number>(undefined, hub), new Queue<number>(0, hub)]) {
      for (let i = 0; i < 1000; i++) q.putNowait(i);
      expect(q.full()).toBe(false);
    }
  });

  it('serves blocked getters FIFO', () => {
    const q = new Queue<string>(undefined, makeHub().hub);
    const first = q.get();
    const second = q.get();
    q.putNowait('a');
    q.putNowait('b');
    expect(successResultOf(first)).toBe('a');
    expect(successResultOf(second)).toBe('b');
  });

  it('serves blocked putters FIFO as room frees up', () => {
    const q = new Queue<string>(1, makeHub().hub);
    q.putNowait('x');
    expect(q.full()).toBe(true);
    const p1 = q.put('p1');
    const p2 = q.put('p2');
    assertNoResult(p1);
    expect(q.getNowait()).toBe('x');
    expect(successResultOf(p1)).toBeUndefined();
    assertNoResult(p2);
    expect(successResultOf(q.get())).toBe('p1');
    expect(successResultOf(p2)).toBeUndefined();
    expect(q.getNowait()).toBe('p2');
  });

  it('putNowait on a full queue throws QueueFull; getNowait on an empty one QueueEmpty', () => {
    const q = new Queue<number>(1, makeHub().hub);
    q.putNowait(1);
    expect(() => q.putNowait(2)).toThrow(expect.objectContaining({ name: 'QueueFull' }));
    q.getNowait();
    expect(() => q.getNowait()).toThrow(expect.objectContaining({ name: 'QueueEmpty' }));
  });

  it('a timed-out put errbacks with QueueFull and leaves the queue as it was', () => {
    const { hub, clock } = makeHub();
    const q = new Queue<number>(1, hub);
    q.putNowait(1);
    const p = q.put(2, 5);
    clock.advance(5);
    expect(failureResultOf(p).value).toMatchObject({ name: 'QueueFull' });
    q.getNowait();
    expect(q.qsize()).toBe(0);
  });

  it('a timed-out get errbacks with QueueEmpty and does not take a later item', () => {
    const { hub, clock } = makeHub();
    const q = new Queue<number>(undefined, hub);
    const g = q.get(5);
    clock.advance(5);
    expect(failureResultOf(g).value).toMatchObject({ name: 'QueueEmpty' });
    q.putNowait(9);
    expect(q.getNowait()).toBe(9);
  });

  it('connects a producer and a consumer greenlet', () => {
    const { hub } = makeHub();
    const q = new Queue<number>(2, hub);
    const got: number[] = [];
    const consumer = hub.spawn(function* () {
      for (let i = 0; i < 5; i++) got.push((yield q.get()) as number);
    });
    hub.spawn(function* () {
      for (let i = 0; i < 5; i++) yield q.put(i);
    });
    hub.flush();
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(consumer.dead).toBe(true);
  });

  it('is async-iterable until the loop breaks', async () => {
    const q = new Queue<number>(undefined, makeHub().hub);
    q.putNowait(1);
    q.putNowait(2);
    q.putNowait(3);
    const seen: number[] = [];
    for await (const item of q) {
      seen.push(item);
      if (item === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
  });

  describe.each(waiterKinds)('%s getters', (kind) => {
    describe.each(waiterEndings)('%s after an item was handed over, before running again (SPEC §6.1)', (ending) => {
      it('does not take it: the next getter does', async () => {
        const { hub, clock } = makeHub();
        const q = new Queue<string>(undefined, hub);
        const got: unknown[] = [];
        const first = spawnWaiter(hub, kind, () => q.get(), (v) => got.push(['first', v]));
        const second = spawnWaiter(hub, kind, () => q.get(), (v) => got.push(['second', v]));
        hub.flush();
        serveThenEnd(hub, clock, first, ending, () => q.putNowait('x'));
        expect(hub.stats().parked).toBe(0); // the second getter was served at once
        hub.flush();
        await second;
        await first.join();
        expect(got).toEqual([['second', 'x']]);
        expect(q.qsize()).toBe(0);
      });

      it('does not take it: with no other getter it stays queued, ahead of later items', async () => {
        const { hub, clock } = makeHub();
        const q = new Queue<string>(undefined, hub);
        const got: unknown[] = [];
        const only = spawnWaiter(hub, kind, () => q.get(10_000), (v) => got.push(v)); // its own timeout must not fire later
        hub.flush();
        serveThenEnd(hub, clock, only, ending, () => {
          q.putNowait('x'); // to the getter
          q.putNowait('y'); // stored
        });
        expect(q.qsize()).toBe(2);
        hub.flush();
        await only.join();
        clock.advance(20_000);
        expect(got).toEqual([]);
        expect([q.getNowait(), q.getNowait()]).toEqual(['x', 'y']);
      });
    });
  });

  it('an item handed back to a full bounded queue is kept (one over maxsize until taken)', () => {
    const { hub } = makeHub();
    const q = new Queue<string>(1, hub);
    const g = spawnWaiter(hub, 'generator', () => q.get());
    hub.flush();
    q.putNowait('x'); // to the getter
    q.putNowait('y'); // stored: the queue is full
    const blocked = q.put('z');
    void g.kill();
    expect(q.qsize()).toBe(2);
    expect(q.getNowait()).toBe('x');
    assertNoResult(blocked);
    expect(q.getNowait()).toBe('y');
    expect(successResultOf(blocked)).toBeUndefined();
    expect(q.getNowait()).toBe('z');
  });

  it('rejects a negative maxsize with RangeError', () => {
    expect(() => new Queue(-1)).toThrow(RangeError);
  });
});
