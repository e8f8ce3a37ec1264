/**
 * Review attacks: `Group` and `GreenPool` `kill`/`join` while members spawn members (in their `finally`, or while
 * they run). A kill ends the set only once it is empty, killing those added meanwhile too; a join waits until the
 * set is empty, with its timeout still honoured and a greenlet waiting in it still killable. A greenlet spawned into
 * a set while its kill runs (a supervisor's link respawning the member that died) is killed at once and never runs,
 * so the kill ends: it no longer recursed kill → death → link → spawn → kill until the stack overflowed, its
 * Deferred never firing.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Deferred } from '../../src/deferred/deferred.js';
import { Failure } from '../../src/deferred/failure.js';
import { GreenPool } from '../../src/green/green-pool.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import { Group } from '../../src/green/group.js';
import type { Hub } from '../../src/green/hub.js';
import { settleHub } from '../helpers/settle-hub.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

/** A set of greenlets under test: spawn into it, kill it, join it, count who is alive in it. */
interface Members {
  spawn: (fn: () => Generator<unknown, void, unknown>) => Greenlet<void>;
  kill: () => Deferred<void>;
  join: (timeoutMs?: number) => Deferred<boolean>;
  empty: () => boolean;
}

const sets: [string, (hub: Hub) => Members][] = [
  [
    'Group',
    (hub) => {
      const group = new Group(hub);
      return {
        spawn: (fn) => group.spawn(fn),
        kill: () => group.kill(),
        join: (ms) => group.join(ms),
        empty: () => group.size === 0,
      };
    },
  ],
  [
    'GreenPool',
    (hub) => {
      const pool = new GreenPool(2, hub);
      return {
        spawn: (fn) => pool.spawn(fn),
        kill: () => pool.kill(),
        join: (ms) => pool.join(ms),
        empty: () => pool.freeCount() === 2,
      };
    },
  ],
];

/** @returns a getter of how `d` fired so far: `{ value }`, or null while pending. */
function firing<T>(d: Deferred<T>): () => { value: T } | null {
  let out: { value: T } | null = null;
  d.addCallback((value: T) => {
    out = { value };
  });
  return () => out;
}

describe.each(sets)('%s', (_name, make) => {
  it('kill() fires once although a link respawns every member that dies; the respawn after it is a live member', async () => {
    const { hub, errors } = makeVirtualHub();
    const set = make(hub);
    const respawned: Array<Greenlet<void>> = [];
    const start = (): void => {
      const g = set.spawn(function* () {
        yield hub.sleep(60_000);
      });
      respawned.push(g);
      g.link(start); // a supervisor: whatever ends a member, it starts another
    };
    start();
    await settleHub(hub);
    const killed = firing(set.kill());
    await settleHub(hub);
    // The member spawned while the kill ran never ran (killed at once); the link on it respawned once the kill ended.
    expect([killed(), respawned.length, respawned.map((g) => g.dead), errors]).toEqual([{ value: undefined }, 3, [true, true, false], []]);
    expect(set.empty()).toBe(false);
    const again = firing(set.kill()); // a second kill ends the new member the same way
    await settleHub(hub);
    expect([again(), respawned.length]).toEqual([{ value: undefined }, 5]);
  });

  it('kill() also kills a member spawned by a dying member in its finally, and fires once it is empty', async () => {
    const { hub } = makeVirtualHub();
    const set = make(hub);
    let spawnedInFinally = 0;
    set.spawn(function* () {
      try {
        yield hub.sleep(60_000);
      } finally {
        spawnedInFinally++;
        set.spawn(function* () {
          yield hub.sleep(60_000);
        });
      }
    });
    await settleHub(hub);
    const killed = firing(set.kill());
    await settleHub(hub);
    expect(spawnedInFinally).toBe(1);
    expect(killed()).toEqual({ value: undefined });
    expect(set.empty()).toBe(true);
  });

  it('join() waits for a member spawned by a member, and fires true once the set is empty', async () => {
    const { hub, clock } = makeVirtualHub();
    const set = make(hub);
    set.spawn(function* () {
      yield hub.sleep(10);
      set.spawn(function* () {
        yield hub.sleep(20);
      });
    });
    await settleHub(hub);
    const joined = firing(set.join());
    clock.advance(10);
    await settleHub(hub);
    expect(joined()).toBeNull(); // the first member is dead, the one it spawned runs
    clock.advance(20);
    await settleHub(hub);
    expect(joined()).toEqual({ value: true });
  });

  it('join(timeoutMs) fires false at its timeout while members keep spawning members', async () => {
    const { hub, clock } = makeVirtualHub();
    const set = make(hub);
    const relay = function* (): Generator<unknown, void, unknown> {
      yield hub.sleep(10);
      set.spawn(relay);
    };
    set.spawn(relay);
    await settleHub(hub);
    const joined = firing(set.join(35));
    for (let t = 0; t < 3; t++) {
      clock.advance(10);
      await settleHub(hub);
      expect(joined()).toBeNull();
    }
    clock.advance(5);
    expect(joined()).toEqual({ value: false });
    const killed = firing(set.kill());
    await settleHub(hub);
    expect(killed()).toEqual({ value: undefined });
    expect(set.empty()).toBe(true);
  });

  it('a greenlet waiting in join() is killable there, and its join lets go of the members', async () => {
    const { hub } = makeVirtualHub();
    const set = make(hub);
    set.spawn(function* () {
      yield hub.sleep(60_000);
    });
    const seen: string[] = [];
    const waiter = hub.spawn(async () => {
      await set.join().addBoth((outcome) => {
        seen.push(outcome instanceof Failure ? (outcome.value as Error).name : 'joined');
        return outcome;
      });
    });
    await settleHub(hub);
    const killed = firing(waiter.kill());
    await settleHub(hub);
    expect([killed(), seen]).toEqual([{ value: undefined }, ['GreenletExit']]);
    const all = firing(set.kill());
    await settleHub(hub);
    expect(all()).toEqual({ value: undefined });
  });
});
