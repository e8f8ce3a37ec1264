/**
 * A kill reaches an async greenlet that awaits a Promise it built with `then` from a hub wait, in the run that made
 * the wait (`const p = q.get().then(f)`), after it went on to other hub waits (`await hub.cooperate()`): SPEC §6.1,
 * "a kill still reaches the wait it awaits".
 *
 * Why this can fail: `w.then(f)` in the run that made `w` is a raced wait (hub-wait.ts): it does not park the
 * greenlet, and a kill rejects it only while it is the greenlet's last hub wait. Once the greenlet made another hub
 * wait, the hub forgot it: a kill while the greenlet then awaited `p` went unseen until `w` got an outcome (for an
 * empty queue or an unset Event: never), so `kill()` and `stop()` waited on a greenlet nothing would end.
 *
 * Synchronisation: a virtual Clock, `hub.flush()` and macrotask turns (settleHub); no sleeps.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Event } from '../../src/green/event.js';
import type { Hub } from '../../src/green/hub.js';
import { Queue } from '../../src/green/queue.js';
import { GreenletExit } from '../../src/errors.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { settleHub } from '../helpers/settle-hub.js';

/** Waits that go on to another hub wait between making `p` and awaiting it. */
const between: Array<[string, (hub: Hub) => PromiseLike<unknown>]> = [
  ['await hub.cooperate()', (hub) => hub.cooperate()],
  ['await hub.sleep(0)', (hub) => hub.sleep(0)],
  ['await hub.sleep(5) (the clock advanced)', (hub) => hub.sleep(5)],
  ['two cooperate() in a row', async (hub) => {
    await hub.cooperate();
    await hub.cooperate();
  }],
];

/** Kill `g` once it awaits `p`, and check the kill reached it there. */
async function killAndCheck(hub: Hub, advance: () => void, g: { kill(): PromiseLike<void> & { called: boolean }; value: unknown }, seen: string[], errors: unknown[]): Promise<void> {
  await settleHub(hub);
  advance();
  await settleHub(hub);
  expect(seen).toEqual([]); // it awaits p
  const done = g.kill();
  await settleHub(hub);
  expect(done.called).toBe(true);
  expect(g.value).toBeInstanceOf(GreenletExit);
  expect(seen).toEqual(['finally']);
  expect(errors).toEqual([]);
}

describe('an async greenlet awaiting w.then(f) built in the run that made hub wait w, after other hub waits', () => {
  it.each(between)('is killed there (q.get().then(f), then %s); the item a later put() brings goes to the next getter', async (_name, goOn) => {
    const { hub, clock, errors } = makeVirtualHub();
    const q = new Queue<number>(0, hub);
    const seen: string[] = [];
    const g = hub.spawn(async () => {
      try {
        const p = q.get().then((x) => x * 2);
        await goOn(hub);
        seen.push(`after ${await p}`);
      } finally {
        seen.push('finally');
      }
    });
    await killAndCheck(hub, () => clock.advance(5), g, seen, errors);
    const next = q.get();
    q.putNowait(21);
    expect(next.called).toBe(true);
    expect(await next).toBe(21);
    expect(q.qsize()).toBe(0);
  });

  it('is killed there (e.wait().then(f), then cooperate()); a later set() finds no waiter of it', async () => {
    const { hub, errors } = makeVirtualHub();
    const e = new Event(hub);
    const seen: string[] = [];
    const g = hub.spawn(async () => {
      try {
        const p = e.wait().then(() => 'set');
        await hub.cooperate();
        seen.push(`after ${await p}`);
      } finally {
        seen.push('finally');
      }
    });
    await killAndCheck(hub, () => undefined, g, seen, errors);
    e.set();
    await settleHub(hub);
    expect(seen).toEqual(['finally']);
  });

  it('is killed there when it raced several waits in a loop; each still pending rejects, handled', async () => {
    const { hub, errors } = makeVirtualHub();
    const q = new Queue<number>(0, hub);
    const seen: string[] = [];
    const ps: Array<Promise<number>> = [];
    const g = hub.spawn(async () => {
      try {
        for (let i = 0; i < 40; i++) {
          ps.push(q.get().then((x) => x));
          await hub.cooperate();
        }
        seen.push(`after ${(await Promise.all(ps)).length}`);
      } finally {
        seen.push('finally');
      }
    });
    await killAndCheck(hub, () => undefined, g, seen, errors);
    const outcomes = await Promise.allSettled(ps);
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason instanceof GreenletExit)).toBe(true);
    q.putNowait(1);
    expect(q.qsize()).toBe(1); // no dead getter took it
  });

  it('leaves a raced wait that already had its outcome as it was: its Promise keeps the value', async () => {
    const { hub, errors } = makeVirtualHub();
    const q = new Queue<number>(0, hub);
    const gate = new Event(hub);
    let early: Promise<number> | null = null;
    const g = hub.spawn(async () => {
      early = q.get().then((x) => x);
      await hub.cooperate();
      await gate.wait();
    });
    await settleHub(hub);
    q.putNowait(7);
    await settleHub(hub);
    await g.kill();
    expect(g.value).toBeInstanceOf(GreenletExit);
    expect(await early!).toBe(7);
    expect(errors).toEqual([]);
  });
});
