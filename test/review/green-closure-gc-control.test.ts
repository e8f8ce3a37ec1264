/**
 * A hub keeps nothing of a greenlet's function once the greenlet ended and was dropped: the function's closure (a
 * large object, a Deferred it captured) is collectable even when that function was the last one spawned.
 *
 * Why this can fail: the hub remembers the last function it spawned (`#nameOf`: its name) and the last function it
 * was asked about as a lazy call (`#isPlain`: its prototype), so a run of spawns of one function skips a native
 * lookup. Holding that function strongly holds its closure until another function is spawned: on a hub that then
 * idles, whatever the last greenlet captured stays reachable for as long as the hub lives.
 *
 * Synchronisation: `gc()` and a macrotask per round until the tagged object's `FinalizationRegistry` entry ran,
 * with a bound on the rounds (no sleeps).
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Clock } from '../../src/time/clock.js';
import { Hub } from '../../src/green/hub.js';
import { Deferred } from '../../src/deferred/deferred.js';
import { callInGreenlet } from '../../src/green/greenlet-deferred.js';
import { collectUntil } from '../helpers/collect-garbage.js';
import { settleHub } from '../helpers/settle-hub.js';

const collected = new Set<string>();
const watch = new FinalizationRegistry<string>((tag) => collected.add(tag));

type Spawner = (hub: Hub, fn: () => unknown) => void;

const spawners: Array<[string, Spawner]> = [
  ['hub.spawn', (hub, fn) => void hub.spawn(fn)],
  ['hub.spawn twice of one function (the cache hit)', (hub, fn) => {
    void hub.spawn(fn);
    void hub.spawn(fn);
  }],
  ['a lazy call (callInGreenlet, as deferToGreenlet)', (hub, fn) => void callInGreenlet(hub, fn, [], { clock: hub.clock })],
  ['hub.spawn killed before it started', (hub, fn) => void hub.spawn(fn).kill()],
  ['hub.spawnLater killed before its timer', (hub, fn) => void hub.spawnLater(10, fn).kill()],
  ['hub.spawn refused past maxGreenlets', (hub, fn) => {
    const blocker = new Deferred<void>();
    const first = hub.spawn(function* () {
      yield blocker;
    });
    hub.flush();
    hub.spawn(fn).link(() => {
      blocker.callback(undefined); // the refused greenlet is dead at spawn: let the hub idle
      void first;
    });
  }],
];

/** Spawn, on `hub`, greenlets of a fresh closure over a tagged object; nothing of the test keeps either. */
function spawnClosure(hub: Hub, spawn: Spawner, tag: string, kind: 'plain' | 'generator' | 'async'): void {
  const captured = { tag, big: new Array<number>(1000).fill(1), d: new Deferred<void>() };
  watch.register(captured, tag);
  const fns: Record<typeof kind, () => unknown> = {
    plain: () => captured.big.length,
    generator: function* () {
      yield;
      return captured.big.length;
    },
    async: async () => {
      await hub.cooperate();
      return captured.big.length;
    },
  };
  spawn(hub, fns[kind]);
}

describe('Hub', () => {
  describe('.spawn()', () => {
    it.each(spawners.flatMap(([name, spawn]) => (['plain', 'generator', 'async'] as const).map((kind) => [`${name} (${kind})`, spawn, kind] as const)))(
      'keeps nothing of the last greenlet function once its greenlets ended: %s',
      async (name, spawn, kind) => {
        const hub = new Hub({ clock: new Clock(), maxGreenlets: name.includes('maxGreenlets') ? 1 : 100 });
        const tag = `closure of ${name}`;
        spawnClosure(hub, spawn, tag, kind);
        await settleHub(hub);
        expect(hub.stats().live).toBe(0);
        await collectUntil(() => collected.has(tag), 30);
        expect(collected.has(tag)).toBe(true);
        expect(hub.stats().spawned).toBeGreaterThan(0); // the hub itself is still alive here
      },
    );
  });
});
