/**
 * Review pins: an async greenlet that waits in a join — `await other`, `joinAll`, `Group.join`, `GreenPool.join`,
 * `GreenPool.map` — on greenlets spawned in another async context and let go by code in a third, resumes in its
 * spawner's context with `getCurrent()` exact; killed there from a fourth context, its `finally` runs in its
 * spawner's context too.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Event } from '../../src/green/event.js';
import { GreenPool } from '../../src/green/green-pool.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import { Group } from '../../src/green/group.js';
import type { Hub } from '../../src/green/hub.js';
import { joinAll } from '../../src/green/join-all.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

const als = new AsyncLocalStorage<string>();
const joins = ['await other', 'joinAll', 'group.join', 'pool.join', 'pool.map'] as const;

/** @returns a wait of kind `join` on a greenlet spawned in context 'other' that waits for `gate`. */
function joinIn(hub: Hub, join: (typeof joins)[number], gate: Event): () => PromiseLike<unknown> {
  return als.run('other', () => {
    const untilSet = function* (): Generator<unknown, string, unknown> {
      yield gate.wait();
      return 'done';
    };
    switch (join) {
      case 'await other': {
        const other = hub.spawn(untilSet);
        return () => other;
      }
      case 'joinAll': {
        const other = hub.spawn(untilSet);
        return () => joinAll([other], { hub });
      }
      case 'group.join': {
        const group = new Group(hub);
        group.spawn(untilSet);
        return () => group.join();
      }
      case 'pool.join': {
        const pool = new GreenPool(1, hub);
        pool.spawn(untilSet);
        return () => pool.join();
      }
      case 'pool.map': {
        const pool = new GreenPool(1, hub);
        return () => pool.map(() => untilSet(), [1]);
      }
    }
  });
}

/** Spawn, in context 'spawner', an async greenlet that awaits `wait()` and records, as it ends, its store and whether it is current. */
function spawnRecorder(hub: Hub, wait: () => PromiseLike<unknown>, seen: string[]): Greenlet<void> {
  const g: Greenlet<void> = als.run('spawner', () =>
    hub.spawn(async () => {
      try {
        await wait();
      } finally {
        seen.push(`${String(als.getStore())} ${hub.getCurrent() === g ? 'current' : 'not current'}`);
      }
    }),
  );
  return g;
}

describe("an async greenlet's context across a join", () => {
  it.each(joins)('%s: it resumes in its spawner\'s context, itself current, when code in another context lets the joined go', async (join) => {
    const { hub } = makeVirtualHub();
    const gate = new Event(hub);
    const seen: string[] = [];
    const g = spawnRecorder(hub, joinIn(hub, join, gate), seen);
    hub.flush();
    await Promise.resolve();
    als.run('releaser', () => gate.set());
    hub.flush();
    await g;
    expect(seen).toEqual(['spawner current']);
  });

  it.each(joins)('%s: killed there from another context, its finally runs in its spawner\'s context', async (join) => {
    const { hub } = makeVirtualHub();
    const gate = new Event(hub);
    const seen: string[] = [];
    const g = spawnRecorder(hub, joinIn(hub, join, gate), seen);
    hub.flush();
    await Promise.resolve();
    await als.run('killer', () => g.kill());
    expect(seen).toEqual(['spawner current']);
    expect(g.dead).toBe(true);
  });
});
