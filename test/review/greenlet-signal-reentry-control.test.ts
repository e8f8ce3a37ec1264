/**
 * Review attacks: a greenlet's `signal` abort listener (it runs inside `kill()`, once the kill's state change is
 * done) that re-enters the hub: spawns greenlets, puts an item in the queue the dying greenlet waited on (and runs
 * the hub), kills the greenlet again, kills another whose listener kills back. Every greenlet dies once, with a
 * real exception (a second kill replaces the first, as two kills in a row do), every `kill()` fires, and nothing
 * put is lost.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Greenlet } from '../../src/green/greenlet.js';
import type { Hub } from '../../src/green/hub.js';
import { Queue } from '../../src/green/queue.js';
import { GreenletExit, TimeoutError } from '../../src/errors.js';
import { waiterKinds, type WaiterKind } from '../green/fixtures/served-waiter.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';
import { settleHub } from '../helpers/settle-hub.js';

afterEach(async () => {
  await nextTurn();
});

/** A greenlet of `kind` that waits on `q.get()` and records what it got, or the exception it died with. */
function getter(hub: Hub, kind: WaiterKind, q: Queue<string>, log: unknown[]): Greenlet<void> {
  if (kind === 'generator') {
    return hub.spawn(function* () {
      log.push(yield q.get());
      yield hub.sleep(60_000);
    });
  }
  return hub.spawn(async () => {
    log.push(await q.get());
    await hub.sleep(60_000);
  });
}

/** @returns a getter of whether `d` fired. */
function fired(d: { addBoth(cb: (r: unknown) => unknown): unknown }): () => boolean {
  let done = false;
  d.addBoth((r) => {
    done = true;
    return r;
  });
  return () => done;
}

describe.each(waiterKinds)('a %s greenlet whose signal listener re-enters the hub', (kind) => {
  it('greenlets spawned from the abort listener run; the killed one dies once', async () => {
    const { hub, errors } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const log: unknown[] = [];
    const g = getter(hub, kind, q, log);
    const ran: string[] = [];
    g.signal.addEventListener('abort', () => {
      hub.spawn(function* () {
        yield;
        ran.push('spawned from the listener');
      });
    });
    await settleHub(hub);
    const killed = fired(g.kill());
    await settleHub(hub);
    expect([killed(), g.dead, (g.value as unknown) instanceof GreenletExit, ran, log, errors]).toStrictEqual([true, true, true, ['spawned from the listener'], [], []]);
  });

  it('an item the abort listener puts in the queue the dying greenlet waits on, running the hub, is not lost', async () => {
    const { hub, errors } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const log: unknown[] = [];
    const g = getter(hub, kind, q, log);
    g.signal.addEventListener('abort', () => {
      q.putNowait('item');
      hub.flush();
    });
    await settleHub(hub);
    const killed = fired(g.kill());
    await settleHub(hub);
    expect([killed(), g.dead, errors]).toStrictEqual([true, true, []]);
    expect(log.length + q.qsize()).toBe(1); // taken by the greenlet before the kill went in, or back in the queue
  });

  it('an item the abort listener puts in the queue the dying greenlet waits on stays there: the greenlet left the line first', async () => {
    const { hub, errors } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const log: unknown[] = [];
    const g = getter(hub, kind, q, log);
    g.signal.addEventListener('abort', () => q.putNowait('item'));
    await settleHub(hub);
    const killed = fired(g.kill());
    await settleHub(hub);
    expect([killed(), g.dead, log, q.qsize(), errors]).toStrictEqual([true, true, [], 1, []]);
  });

  it('the listener killing the greenlet again: it dies once, with the later kill (as two kills in a row), and both kills fire', async () => {
    const { hub, errors } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const g = getter(hub, kind, q, []);
    let again: (() => boolean) | null = null;
    g.signal.addEventListener('abort', () => {
      again = fired(g.kill(new TimeoutError('second kill')));
    });
    await settleHub(hub);
    const first = fired(g.kill());
    await settleHub(hub);
    expect([first(), again!(), g.dead]).toEqual([true, true, true]);
    expect(g.exception).toBeInstanceOf(TimeoutError); // not `undefined` thrown in
    expect(errors).toStrictEqual([g.exception]); // an exception nobody observed, reported once (not `undefined`)
  });

  it('two greenlets whose listeners kill each other both die, each kill firing', async () => {
    const { hub, errors } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const a = getter(hub, kind, q, []);
    const b = getter(hub, kind, q, []);
    const kills: Array<() => boolean> = [];
    a.signal.addEventListener('abort', () => kills.push(fired(b.kill())));
    b.signal.addEventListener('abort', () => kills.push(fired(a.kill())));
    await settleHub(hub);
    kills.push(fired(a.kill()));
    await settleHub(hub);
    expect([a.dead, b.dead, kills.map((k) => k()), errors, q.qsize()]).toStrictEqual([true, true, [true, true, true], [], 0]);
    q.putNowait('x');
    expect(q.getNowait()).toBe('x'); // neither dead getter is still in the queue's line
  });
});
