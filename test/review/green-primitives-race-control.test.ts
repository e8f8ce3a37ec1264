/**
 * Pins on green primitives at their races (fresh ground of the twenty-first round; these held):
 * - a `Queue(maxsize)` putter woken (a `get` made room and put its item in for it) and killed before it ran again:
 *   its item is in the queue exactly once (gevent's rule: the getter that woke it already moved the item in; the
 *   kill neither takes it out nor puts it twice);
 * - a putter whose `put(item, timeoutMs)` times out at the clock tick a `get` would wake it: the item is in iff the
 *   putter saw its put succeed;
 * - `Event.wait(timeoutMs)` and `set()` at the same clock tick: the wait fires once, with the outcome of whichever
 *   of the two was scheduled first, and a waiter that timed out is not woken again by the `set()`.
 *
 * Synchronisation: a virtual Clock (`advance`), `hub.flush()` and macrotask turns (settleHub); no sleeps.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Event } from '../../src/green/event.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import type { Hub } from '../../src/green/hub.js';
import { Queue } from '../../src/green/queue.js';
import { GreenletExit } from '../../src/errors.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { settleHub } from '../helpers/settle-hub.js';

const kinds = ['generator', 'async'] as const;

/** A greenlet of `kind` that returns what `wait()` gives it; observed (a link), so its exception is read, not reported. */
function spawnWaiter(hub: Hub, kind: (typeof kinds)[number], wait: () => PromiseLike<unknown>): Greenlet<unknown> {
  const g: Greenlet<unknown> =
    kind === 'generator'
      ? hub.spawn(function* (): Generator<unknown, unknown, unknown> {
          return yield wait();
        })
      : hub.spawn(async () => wait());
  g.link(() => undefined);
  return g;
}

/** @returns how `g` ended: `['ok', value]` or the name of its exception. */
function outcome(g: Greenlet<unknown>): unknown {
  return g.successful() && !(g.value instanceof GreenletExit) ? ['ok', g.value] : (g.exception as Error | undefined)?.name ?? (g.value as Error).name;
}

/** @returns every item the queue holds, taken out. */
function drain<T>(q: Queue<T>): T[] {
  const items: T[] = [];
  while (!q.empty()) items.push(q.getNowait());
  return items;
}

describe('Queue(maxsize) putters', () => {
  it.each(kinds)('a %s putter woken by a get() and killed before it ran again: its item is in once', async (kind) => {
    const { hub, errors } = makeVirtualHub();
    const q = new Queue<string>(1, hub);
    q.putNowait('a');
    const putter = spawnWaiter(hub, kind, () => q.put('b'));
    await settleHub(hub);
    expect(q.getNowait()).toBe('a'); // room: 'b' goes in for the putter, which is queued to resume
    await putter.kill();
    expect(outcome(putter)).toBe('GreenletExit'); // the kill went in at its switch point
    expect(drain(q)).toEqual(['b']);
    expect(errors).toEqual([]);
  });

  it.each(kinds)('a %s putter whose put(item, 10) times out at the tick a get() frees room: the item is in iff its put succeeded', async (kind) => {
    for (const getFirst of [false, true]) {
      const { hub, clock, errors } = makeVirtualHub();
      const q = new Queue<string>(1, hub);
      q.putNowait('a');
      const got: string[] = [];
      if (getFirst) clock.callLater(10, () => void got.push(q.getNowait()));
      const putter = spawnWaiter(hub, kind, () => q.put('b', 10));
      await settleHub(hub);
      if (!getFirst) clock.callLater(10, () => void got.push(q.getNowait()));
      clock.advance(10);
      await settleHub(hub);
      expect(got).toEqual(['a']);
      if (getFirst) {
        expect(outcome(putter)).toEqual(['ok', undefined]);
        expect(drain(q)).toEqual(['b']);
      } else {
        expect(outcome(putter)).toBe('QueueFull');
        expect(drain(q)).toEqual([]);
      }
      expect(errors).toEqual([]);
    }
  });
});

describe('Event.wait(timeoutMs) and set() at the same clock tick', () => {
  it.each(kinds)('a %s waiter gets false when its timeout was scheduled first, true when set() was, once', async (kind) => {
    for (const setFirst of [false, true]) {
      const { hub, clock, errors } = makeVirtualHub();
      const e = new Event(hub);
      if (setFirst) clock.callLater(10, () => e.set());
      const g = spawnWaiter(hub, kind, () => e.wait(10));
      await settleHub(hub);
      if (!setFirst) clock.callLater(10, () => e.set());
      clock.advance(10);
      await settleHub(hub);
      expect(g.dead).toBe(true);
      expect(outcome(g)).toEqual(['ok', setFirst]);
      expect(e.isSet()).toBe(true);
      expect(clock.getDelayedCalls()).toEqual([]);
      expect(errors).toEqual([]);
    }
  });
});
