/**
 * Review attacks: an async greenlet awaiting several hub waits at once (`Promise.all` / `Promise.race` over hub
 * waits). The one it parks on is delivered by the hub; the others are ordinary Deferreds to it, but none of them
 * outlives its combinator: a kill makes them fire with the kill and leave their lines (no item goes to a dead
 * greenlet's Promise.all), and a race's losers are released once the greenlet goes on or ends.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Queue } from '../../src/green/queue.js';
import { GreenletExit } from '../../src/errors.js';
import { settleHub } from '../helpers/settle-hub.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

describe('hub waits awaited together', () => {
  it('a kill of a greenlet in Promise.all over three Queue.get waits leaves every queue its next item', async () => {
    const { hub } = makeVirtualHub();
    const qs = [new Queue<string>(undefined, hub), new Queue<string>(undefined, hub), new Queue<string>(undefined, hub)];
    const caught: unknown[] = [];
    const g = hub.spawn(async () => {
      try {
        await Promise.all(qs.map((q) => q.get()));
      } catch (error: unknown) {
        caught.push(error);
        throw error;
      }
    });
    await settleHub(hub);
    void g.kill();
    await settleHub(hub);
    expect(g.dead).toBe(true);
    expect(caught).toHaveLength(1);
    expect(caught[0]).toBeInstanceOf(GreenletExit);
    for (const q of qs) q.putNowait('item');
    expect(qs.map((q) => q.qsize())).toEqual([1, 1, 1]);
  });

  it('Promise.all over two Queue.get waits served one by one resolves with both, and nothing is given back', async () => {
    const { hub } = makeVirtualHub();
    const q1 = new Queue<string>(undefined, hub);
    const q2 = new Queue<string>(undefined, hub);
    const g = hub.spawn(async () => await Promise.all([q1.get(), q2.get()]));
    await settleHub(hub);
    q2.putNowait('b'); // the co-awaited one fires: Promise.all still waits for q1
    await settleHub(hub);
    q1.putNowait('a');
    await settleHub(hub);
    expect(g.value).toEqual(['a', 'b']);
    expect([q1.qsize(), q2.qsize()]).toEqual([0, 0]);
  });

  it('Promise.race over two Queue.get waits: the loser leaves its line once the greenlet goes on', async () => {
    const { hub } = makeVirtualHub();
    const q1 = new Queue<string>(undefined, hub);
    const q2 = new Queue<string>(undefined, hub);
    const g = hub.spawn(async () => {
      const won = await Promise.race([q1.get(), q2.get()]);
      await hub.cooperate();
      return won;
    });
    await settleHub(hub);
    q1.putNowait('a'); // the one it parks on wins
    await settleHub(hub);
    expect(g.value).toBe('a');
    q2.putNowait('b');
    expect(q2.qsize()).toBe(1);
  });
});
