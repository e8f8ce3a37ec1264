/**
 * Pins: a greenlet that spawned 10,000 children is killed (fresh ground of the twenty-first round; these held).
 * - Children in a `Group` the parent kills in its `finally`: every child ends (half async greenlets parked on an
 *   Event, half generators in a long `sleep`), the parent's kill fires, nothing stays parked or on the clock, the
 *   group empties, and the heap comes back (a generous check with `--expose-gc`: at most half of what 10,000 live
 *   greenlets held is still held once they are dead and dropped).
 * - Children spawned bare (no group): `shutdownHub` (reactor.stop()'s part) ends the parent and all of them.
 *
 * Synchronisation: a virtual Clock, `hub.flush()` and macrotask turns (settleHub) until the kill's Deferred or the
 * shutdown settled, with a bound on the rounds; no sleeps.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Event } from '../../src/green/event.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import { Group } from '../../src/green/group.js';
import type { Hub } from '../../src/green/hub.js';
import { shutdownHub } from '../../src/green/shutdown-hub.js';
import { GreenletExit } from '../../src/errors.js';
import { collectUntil } from '../helpers/collect-garbage.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { settleHub } from '../helpers/settle-hub.js';

const N = 10_000;
const kinds = ['generator', 'async'] as const;

/** @returns the heap in use after a full collection. */
async function heapUsed(): Promise<number> {
  await collectUntil(() => false, 3);
  return process.memoryUsage().heapUsed;
}

/**
 * Settle `hub` until `done()`, at most `rounds` rounds: a guard against a hang only. Each async child's kill resumes it
 * on a microtask and a pass runs one slice (`sliceMs` of wall time), so on a loaded machine 10,000 kills take many
 * turns (30 rounds were too few beside the rest of the suite).
 */
async function settleUntil(hub: Hub, done: () => boolean, rounds = 2000): Promise<void> {
  for (let i = 0; i < rounds && !done(); i++) await settleHub(hub);
}

/** Spawn a parent of `kind` that spawns N children with `spawnChild`, switching every 1,000, then waits on `gate`. */
function spawnParent(hub: Hub, kind: (typeof kinds)[number], gate: Event, spawnChild: (i: number) => void, cleanup: () => PromiseLike<unknown>): Greenlet<unknown> {
  if (kind === 'generator') {
    return hub.spawn(function* () {
      try {
        for (let i = 0; i < N; i++) {
          spawnChild(i);
          if (i % 1000 === 0) yield;
        }
        yield gate.wait();
      } finally {
        yield cleanup();
      }
    });
  }
  return hub.spawn(async () => {
    try {
      for (let i = 0; i < N; i++) {
        spawnChild(i);
        if (i % 1000 === 0) await hub.cooperate();
      }
      await gate.wait();
    } finally {
      await cleanup();
    }
  });
}

describe('a greenlet that spawned 10,000 children, killed', () => {
  it.each(kinds)('(%s) killing its Group in finally: every child ends, nothing is left, the heap comes back', async (kind) => {
    const { hub, clock, errors } = makeVirtualHub();
    const before = await heapUsed();
    const gate = new Event(hub);
    let group: Group | null = new Group(hub);
    const asyncChild = async (): Promise<void> => {
      await gate.wait();
    };
    const generatorChild = function* (): Generator<unknown, void> {
      yield hub.sleep(1e9);
    };
    const spawnChild = (i: number): void => void group!.spawn(i % 2 === 0 ? asyncChild : generatorChild);
    let parent: Greenlet<unknown> | null = spawnParent(hub, kind, gate, spawnChild, () => group!.kill());
    await settleUntil(hub, () => hub.stats().live === N + 1);
    expect(hub.stats().live).toBe(N + 1);
    const full = await heapUsed();
    const killed = parent.kill();
    await settleUntil(hub, () => killed.called);
    expect(killed.called).toBe(true);
    expect(parent.value).toBeInstanceOf(GreenletExit);
    expect(hub.stats()).toMatchObject({ live: 0, parked: 0, ready: 0 });
    expect(group.size).toBe(0);
    expect(clock.getDelayedCalls()).toEqual([]);
    expect(errors).toEqual([]);
    group = null;
    parent = null;
    const after = await heapUsed();
    expect(full - before).toBeGreaterThan(0);
    expect(after - before).toBeLessThan((full - before) / 2);
  }, 120_000);

  it.each(kinds)('(%s) with bare children: shutdownHub ends the parent and every child', async (kind) => {
    const { hub, clock, errors } = makeVirtualHub();
    const gate = new Event(hub);
    const child = async (): Promise<void> => {
      await gate.wait();
    };
    const parent = spawnParent(hub, kind, gate, () => void hub.spawn(child), () => hub.cooperate());
    await settleUntil(hub, () => hub.stats().live === N + 1);
    expect(hub.stats().live).toBe(N + 1);
    let stopped = false;
    void shutdownHub(hub, 0).then(() => {
      stopped = true;
    });
    await settleUntil(hub, () => stopped);
    expect(stopped).toBe(true);
    expect(parent.dead).toBe(true);
    expect(hub.stats()).toMatchObject({ live: 0, parked: 0, ready: 0 });
    expect(clock.getDelayedCalls()).toEqual([]);
    expect(errors).toEqual([]);
  }, 120_000);
});
