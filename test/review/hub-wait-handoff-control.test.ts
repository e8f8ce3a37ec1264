/**
 * Review attacks: a hub wait made by one async greenlet's code but taken by other code — awaited by another
 * greenlet, or by code outside any greenlet — and `cooperate()` given callbacks instead of awaited. The wait belongs
 * to whoever awaits it: a kill of its maker neither throws into the other greenlet nor is spent there, and every
 * such wait fires once.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { Event } from '../../src/green/event.js';
import { Queue } from '../../src/green/queue.js';
import { GreenletExit } from '../../src/errors.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

/** A wait boxed so that handing it over through a Deferred does not await it. */
interface Box<T> {
  w: Deferred<T>;
}

describe('a hub wait one async greenlet made and another awaits', () => {
  it('the other greenlet resumes with its outcome, as itself', async () => {
    const { hub } = makeVirtualHub();
    const e = new Event(hub);
    const handoff = new Deferred<Box<boolean>>();
    const foreign = new Deferred<void>();
    const seen: string[] = [];
    const maker = hub.spawn(async () => {
      handoff.callback({ w: e.wait() });
      await foreign;
      await hub.cooperate();
    });
    const taker = hub.spawn(async () => {
      const { w } = await handoff;
      const got = await w;
      seen.push(`got ${String(got)} in ${hub.getCurrent() === taker ? 'the taker' : 'another greenlet'}`);
    });
    await handoff;
    e.set();
    await taker;
    foreign.callback(undefined);
    await maker;
    expect(seen).toEqual(['got true in the taker']);
  });

  it('a kill of the maker during its foreign await does not throw into the taker, and ends the maker at its next hub wait', async () => {
    const { hub, errors } = makeVirtualHub();
    const e = new Event(hub);
    const handoff = new Deferred<Box<boolean>>();
    const taking = new Deferred<void>();
    const foreign = new Deferred<void>();
    const seen: string[] = [];
    const maker = hub.spawn(async () => {
      try {
        handoff.callback({ w: e.wait() });
        await foreign;
        await hub.cooperate();
        seen.push('maker past its next hub wait');
      } finally {
        seen.push('maker finally');
      }
    });
    const taker = hub.spawn(async () => {
      const { w } = await handoff;
      const p = w.then((got) => seen.push(`taker got ${String(got)}`));
      taking.callback(undefined);
      await p;
    });
    await taking;
    const killed = maker.kill();
    foreign.callback(undefined);
    await killed;
    expect(maker.value).toBeInstanceOf(GreenletExit);
    e.set();
    await taker;
    expect(seen).toEqual(['maker finally', 'taker got true']);
    expect(errors).toEqual([]);
  });

  it('a served Queue.get the taker awaits is not given back when the maker is killed before it ran', async () => {
    const { hub } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const handoff = new Deferred<Box<string>>();
    const taking = new Deferred<void>();
    const foreign = new Deferred<void>();
    const maker = hub.spawn(async () => {
      handoff.callback({ w: q.get() });
      await foreign;
      await hub.cooperate();
    });
    const got: string[] = [];
    const taker = hub.spawn(async () => {
      const { w } = await handoff;
      const p = w.then((item) => got.push(item));
      taking.callback(undefined);
      await p;
    });
    await taking;
    q.putNowait('item');
    const killed = maker.kill();
    foreign.callback(undefined);
    await killed;
    await taker;
    expect(got).toEqual(['item']);
    expect(q.qsize()).toBe(0); // taken once, not also given back
  });
});

describe('a hub wait an async greenlet made and code outside any greenlet awaits', () => {
  it('a kill of the greenlet during its foreign await is not spent on the outside await: the greenlet dies at its next hub wait', async () => {
    const { hub } = makeVirtualHub();
    const e = new Event(hub);
    const handoff = new Deferred<Box<boolean>>();
    const foreign = new Deferred<void>();
    const seen: string[] = [];
    const g = hub.spawn(async () => {
      handoff.callback({ w: e.wait() });
      await foreign;
      await hub.cooperate();
      seen.push('past its next hub wait');
    });
    const { w } = await handoff;
    const outside = w.then((got) => `outside got ${String(got)}`);
    await Promise.resolve();
    const killed = g.kill();
    foreign.callback(undefined);
    await killed;
    expect(g.value).toBeInstanceOf(GreenletExit);
    expect(seen).toEqual([]);
    e.set();
    expect(await outside).toBe('outside got true');
  });
});

describe('cooperate() in an async greenlet, given callbacks instead of awaited', () => {
  it('fires when the greenlet would have had its turn, while it awaits something foreign', async () => {
    const { hub } = makeVirtualHub();
    const fired = new Deferred<string>();
    const foreign = new Deferred<void>();
    const g = hub.spawn(async () => {
      hub.cooperate().addCallback(() => fired.callback('fired'));
      await foreign;
    });
    expect(await fired).toBe('fired');
    foreign.callback(undefined);
    await g;
  });

  it('fires when the greenlet makes another hub wait instead', async () => {
    const { hub, clock } = makeVirtualHub();
    const seen: string[] = [];
    const g = hub.spawn(async () => {
      hub.cooperate().addCallback(() => seen.push('cooperate fired'));
      const sleeping = hub.sleep(10);
      clock.advance(10);
      await sleeping;
      seen.push('slept');
    });
    await g;
    expect(seen).toEqual(['cooperate fired', 'slept']);
  });
});
