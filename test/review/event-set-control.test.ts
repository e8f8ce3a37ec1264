/**
 * Review attacks: `Event.set()` while the waiters' own callbacks run — one clears the event and waits again, one
 * sets it again, one kills another waiter's greenlet. `set()` wakes exactly the waiters that were waiting when it
 * was called; a wait begun after a callback cleared the flag waits for the next `set()`; a waiter killed meanwhile
 * dies (its `finally` runs) and the others are still woken.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Event } from '../../src/green/event.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import { settleHub } from '../helpers/settle-hub.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

describe('Event.set() while its waiters run', () => {
  /** Two waiters; the first one's callback clears `e`, waits on it again (`late`) and, with `setAgain`, sets it. */
  function twoWaiters(e: Event, log: string[], setAgain: boolean): void {
    e.wait().addCallback(() => {
      log.push('first');
      e.clear();
      e.wait().addCallback((v) => void log.push(`late ${String(v)}`));
      if (setAgain) e.set();
    });
    e.wait().addCallback(() => void log.push('second'));
  }

  it('a wait begun by a callback after it cleared the flag waits for the next set()', () => {
    const e = new Event(makeVirtualHub().hub);
    const log: string[] = [];
    twoWaiters(e, log, false);
    e.set();
    expect(log).toEqual(['first', 'second']);
    expect(e.isSet()).toBe(false);
    e.set();
    expect(log).toEqual(['first', 'second', 'late true']);
  });

  it('a set() from a callback, after a clear() and a new wait, wakes the new waiter and the rest once each', () => {
    const e = new Event(makeVirtualHub().hub);
    const log: string[] = [];
    twoWaiters(e, log, true);
    e.set();
    expect(log.sort()).toEqual(['first', 'late true', 'second']);
  });

  it('a waiter killed by an earlier waiter\'s callback dies in its finally, and the later waiters are woken', async () => {
    const { hub, errors } = makeVirtualHub();
    const e = new Event(hub);
    const log: string[] = [];
    const later: { second?: Greenlet<void> } = {};
    const first = hub.spawn(function* (): Generator<unknown, void, unknown> {
      const d = e.wait();
      d.addCallback((v) => {
        void later.second?.kill();
        return v;
      });
      log.push(`first ${String(yield d)}`);
    });
    const second = hub.spawn(function* (): Generator<unknown, void, unknown> {
      try {
        log.push(`second ${String(yield e.wait())}`);
      } finally {
        log.push('second finally');
      }
    });
    later.second = second;
    const third = hub.spawn(async () => {
      log.push(`third ${String(await e.wait())}`);
    });
    await settleHub(hub);
    e.set();
    await settleHub(hub);
    expect([first.dead, second.dead, third.dead]).toEqual([true, true, true]);
    expect(log.sort()).toEqual(['first true', 'second finally', 'third true']);
    expect(errors).toEqual([]);
  });
});
