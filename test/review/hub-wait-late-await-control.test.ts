/**
 * Review attacks: an async greenlet that makes a hub wait, makes another one (so it leaves the first), and awaits
 * the first later — after a `cooperate()`, a `sleep`, or inside `Promise.all` over several hub waits. The await
 * resumes with the wait's outcome (it hung: the hub neither delivered it nor let it resolve the Promise way), and
 * a kill still reaches the greenlet parked there.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Event } from '../../src/green/event.js';
import { Queue } from '../../src/green/queue.js';
import { GreenletExit } from '../../src/errors.js';
import { settleHub } from '../helpers/settle-hub.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

describe('a hub wait awaited after its greenlet made another', () => {
  it('resumes with an item served before the await (left for a cooperate())', async () => {
    const { hub } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const g = hub.spawn(async () => {
      const w = q.get();
      await hub.cooperate();
      return await w;
    });
    await settleHub(hub);
    q.putNowait('a');
    await settleHub(hub);
    expect(g.value).toBe('a');
  });

  it('resumes with an item served after the await (left for a sleep)', async () => {
    const { hub, clock } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const g = hub.spawn(async () => {
      const w = q.get();
      await hub.sleep(5);
      return await w;
    });
    await settleHub(hub);
    clock.advance(5);
    await settleHub(hub);
    expect(g.dead).toBe(false);
    q.putNowait('b');
    await settleHub(hub);
    expect(g.value).toBe('b');
  });

  it('is where a kill reaches the greenlet, and the wait leaves its line', async () => {
    const { hub } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const seen: string[] = [];
    const g = hub.spawn(async () => {
      const w = q.get();
      await hub.cooperate();
      try {
        await w;
      } finally {
        seen.push('finally');
      }
    });
    await settleHub(hub);
    expect(g.toString()).toContain('parked');
    let killed = false;
    g.kill().addCallback(() => {
      killed = true;
    });
    await settleHub(hub);
    expect([killed, g.dead, seen]).toEqual([true, true, ['finally']]);
    expect(g.value).toBeInstanceOf(GreenletExit);
    q.putNowait('item');
    expect(q.qsize()).toBe(1);
  });

  it.each([
    ['in order', ['a', 'b']],
    ['in reverse', ['b', 'a']],
  ])('Promise.all over two Queue.get waits resumes when both are served %s', async (_name, order) => {
    const { hub } = makeVirtualHub();
    const queues: Record<string, Queue<string>> = { a: new Queue<string>(undefined, hub), b: new Queue<string>(undefined, hub) };
    const g = hub.spawn(async () => await Promise.all([queues.a!.get(), queues.b!.get()]));
    await settleHub(hub);
    for (const name of order) {
      queues[name]!.putNowait(name);
      await settleHub(hub);
    }
    expect(g.value).toEqual(['a', 'b']);
  });

  it('Promise.all over two Event.wait waits is killable while both pend', async () => {
    const { hub } = makeVirtualHub();
    const e1 = new Event(hub);
    const e2 = new Event(hub);
    const g = hub.spawn(async () => await Promise.all([e1.wait(), e2.wait()]));
    await settleHub(hub);
    let killed = false;
    g.kill().addCallback(() => {
      killed = true;
    });
    await settleHub(hub);
    expect([killed, g.dead]).toEqual([true, true]);
  });
});
