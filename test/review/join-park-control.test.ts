/**
 * Review attacks: a greenlet waits in a join — `joinAll(...)`, `group.join()`, `pool.join()`, `pool.map(...)` —
 * on greenlets that never finish, and is ended there: `kill()`, `killAll()`, `withTimeout(greenlet, ms)` or the
 * hub's shutdown. A join is a switch point like any other hub wait: the end reaches the waiter there (its `finally`
 * runs, the code after the join never does), whether it `yield`s or `await`s the join, and the greenlets it
 * joined run on (those `map` spawned are killed: nobody is left to take their results). Also: the hub's shutdown
 * (`stop()`'s green part) awaited inside an async greenlet ends, and `map` there still works.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Deferred } from '../../src/deferred/deferred.js';
import { Event } from '../../src/green/event.js';
import { GreenPool } from '../../src/green/green-pool.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import { Group } from '../../src/green/group.js';
import type { Hub } from '../../src/green/hub.js';
import { joinAll } from '../../src/green/join-all.js';
import { killAll } from '../../src/green/kill-all.js';
import { shutdownHub } from '../../src/green/shutdown-hub.js';
import { withTimeout } from '../../src/green/with-timeout.js';
import { GreenletExit } from '../../src/errors.js';
import type { Clock } from '../../src/time/clock.js';
import { successResultOf } from '../helpers/deferred-results.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { spawnRecordingWaiter } from '../green/fixtures/recording-waiter.js';
import { waiterKinds } from '../green/fixtures/served-waiter.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

const joins = ['joinAll', 'group.join', 'pool.join', 'pool.map'] as const;
type JoinKind = (typeof joins)[number];
const endings = ['kill', 'killAll', 'withTimeout', 'shutdown'] as const;
type Ending = (typeof endings)[number];

/** A greenlet function that waits until `gate` is set. */
function* untilSet(gate: Event): Generator<unknown, string, unknown> {
  yield gate.wait();
  return 'done';
}

/** Spawn the greenlet(s) a join of `kind` waits for, all waiting on `gate`. @returns the join and what it joins. */
function joinOf(hub: Hub, kind: JoinKind, gate: Event): { join: () => Deferred<unknown>; joined: () => Array<Greenlet<unknown>> } {
  switch (kind) {
    case 'joinAll': {
      const target = hub.spawn(untilSet, gate);
      return { join: () => joinAll([target], { hub }), joined: () => [target] };
    }
    case 'group.join': {
      const group = new Group(hub);
      const target = group.spawn(untilSet, gate);
      return { join: () => group.join(), joined: () => [target] };
    }
    case 'pool.join': {
      const pool = new GreenPool(1, hub);
      const targets = [pool.spawn(untilSet, gate), pool.spawn(untilSet, gate)]; // one running, one queued
      return { join: () => pool.join(), joined: () => targets };
    }
    case 'pool.map': {
      const pool = new GreenPool(2, hub);
      return { join: () => pool.map((g: Event) => untilSet(g), [gate, gate]), joined: () => [] };
    }
  }
}

/** End `g` as `ending` says. @returns once `g` is dead. */
async function end(hub: Hub, clock: Clock, g: Greenlet<unknown>, ending: Ending): Promise<void> {
  switch (ending) {
    case 'kill':
      await g.kill();
      return;
    case 'killAll':
      await killAll([g]);
      return;
    case 'withTimeout': {
      const timed = withTimeout(g, 10, hub);
      timed.addErrback(() => undefined); // its TimeoutError is expected
      clock.advance(10);
      await g.join();
      return;
    }
    case 'shutdown':
      await shutdownHub(hub, 0);
      return;
  }
}

describe('a greenlet ended while it waits in a join', () => {
  for (const join of joins) {
    for (const kind of waiterKinds) {
      it.each(endings)(`${kind} greenlet in ${join}(), ended by %s: finally runs, the code after the join never does`, async (ending) => {
        const { hub, clock, errors } = makeVirtualHub();
        const gate = new Event(hub);
        const { join: wait, joined } = joinOf(hub, join, gate);
        const seen: string[] = [];
        const g = spawnRecordingWaiter(hub, kind, wait, seen);
        hub.flush();
        await Promise.resolve();
        await end(hub, clock, g, ending);
        expect(g.dead).toBe(true);
        expect(g.value).toBeInstanceOf(GreenletExit);
        expect(seen).toEqual(['finally']);
        if (ending !== 'shutdown') {
          // What it joined runs on, and finishes once let go; what its map spawned is killed, as a cancel would.
          hub.flush();
          expect(hub.stats().live).toBe({ joinAll: 1, 'group.join': 1, 'pool.join': 2, 'pool.map': 0 }[join]);
          gate.set();
          hub.flush();
          expect(hub.stats().live).toBe(0);
          expect(joined().map((t) => t.value)).toEqual(joined().map(() => 'done'));
        }
        expect(errors).toEqual([]);
      });
    }
  }
});

describe('the hub shutdown awaited inside an async greenlet', () => {
  it('ends without the clock moving: the other greenlets die, nothing is reported stuck, the caller is killed at its next hub wait', async () => {
    const { hub, errors } = makeVirtualHub();
    const gate = new Event(hub);
    const other = hub.spawn(untilSet, gate);
    const seen: string[] = [];
    const g = hub.spawn(async () => {
      try {
        await shutdownHub(hub, 0);
        seen.push('stopped');
        await hub.cooperate();
        seen.push('after its next hub wait');
      } finally {
        seen.push('finally');
      }
    });
    hub.flush();
    await g.join();
    expect(seen).toEqual(['stopped', 'finally']);
    expect(g.value).toBeInstanceOf(GreenletExit);
    expect(other.dead).toBe(true);
    expect(errors).toEqual([]);
    expect(hub.stats()).toMatchObject({ live: 0, parked: 0 });
  });

  it('pool.map inside an async greenlet still gives its results in input order', async () => {
    const { hub } = makeVirtualHub();
    const pool = new GreenPool(2, hub);
    const g = hub.spawn(async () => {
      const got = await pool.map(async (n: number) => {
        await hub.cooperate();
        return n * 2;
      }, [1, 2, 3]);
      return got;
    });
    expect(await g).toEqual([2, 4, 6]);
    successResultOf(g.join());
  });
});
