/**
 * Review attacks: the hub's part of `stop()` (`shutdownHub`) with greenlets that never park — looping on a bare
 * `yield` / `cooperate()` — beside greenlets parked on a primitive, and greenlets whose `signal` abort listener
 * spawns more greenlets (while stop() kills them, and while a plain kill runs). `stop()` ends, every greenlet
 * dies, a greenlet spawned from a listener after the kills is refused (dead with `ReactorStoppedError`) or, spawned
 * before, is killed in its turn; nothing is reported stuck and no Deferred is left unfired.
 */
import { describe, expect, it } from '@jest/globals';
import { Event } from '../../src/green/event.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import { shutdownHub } from '../../src/green/shutdown-hub.js';
import { ReactorStoppedError } from '../../src/errors.js';
import { settleHub } from '../helpers/settle-hub.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { expectNoUnhandledRejections } from '../helpers/unhandled-rejections.js';
import type { Hub } from '../../src/green/hub.js';
import type { Clock } from '../../src/time/clock.js';

expectNoUnhandledRejections();

/** Runs shutdownHub(hub, graceMs) to its end on the virtual clock. @returns whether it ended within the rounds. */
async function stop(hub: Hub, clock: Clock, graceMs: number): Promise<boolean> {
  let stopped = false;
  void shutdownHub(hub, graceMs).then(() => {
    stopped = true;
  });
  for (let i = 0; i < 40 && !stopped; i++) {
    await settleHub(hub, 1);
    clock.advance(100);
  }
  return stopped;
}

describe('shutdownHub with greenlets that only cooperate', () => {
  it.each([0, 150])('ends (grace %d ms) and kills every one; their cleanups that cooperate run', async (graceMs) => {
    const { hub, clock, errors } = makeVirtualHub();
    const e = new Event(hub);
    const cleaned: string[] = [];
    const all: Array<Greenlet<unknown>> = [
      hub.spawn(function* () {
        try {
          for (;;) yield;
        } finally {
          yield hub.cooperate();
          cleaned.push('bare yield');
        }
      }),
      hub.spawn(function* () {
        try {
          for (;;) yield hub.cooperate();
        } finally {
          yield;
          cleaned.push('yield cooperate()');
        }
      }),
      hub.spawn(async () => {
        try {
          for (;;) await hub.cooperate();
        } finally {
          await hub.cooperate();
          cleaned.push('await cooperate()');
        }
      }),
      hub.spawn(async () => {
        try {
          await e.wait();
        } finally {
          await hub.cooperate();
          cleaned.push('parked on an Event');
        }
      }),
    ];
    await settleHub(hub);
    expect(await stop(hub, clock, graceMs)).toBe(true);
    expect(all.filter((g) => !g.dead).map(String)).toEqual([]);
    expect(cleaned.sort()).toEqual(['await cooperate()', 'bare yield', 'parked on an Event', 'yield cooperate()']);
    expect(errors).toEqual([]);
    expect(hub.stats().live).toBe(0);
  });
});

/** A `kind` ('generator' or 'async') greenlet that sleeps in a loop until it is killed. */
function spawnSleeper(hub: Hub, kind: string): Greenlet<unknown> {
  return kind === 'generator'
    ? hub.spawn(function* () {
        for (;;) yield hub.sleep(1000);
      })
    : hub.spawn(async () => {
        for (;;) await hub.sleep(1000);
      });
}

describe('a greenlet whose signal abort listener spawns greenlets', () => {
  it.each(['generator', 'async'])('killed by shutdownHub: the spawn is refused with ReactorStoppedError, stop() ends', async (kind) => {
    const { hub, clock, errors } = makeVirtualHub();
    const spawned: Array<Greenlet<unknown>> = [];
    const g = spawnSleeper(hub, kind);
    g.signal.addEventListener('abort', () => {
      const child = hub.spawn(function* () {
        for (;;) yield hub.sleep(1000);
      });
      child.link(() => undefined); // observed: its refusal is not reported
      spawned.push(child);
    });
    await settleHub(hub);
    expect(await stop(hub, clock, 0)).toBe(true);
    expect(g.dead).toBe(true);
    expect(spawned).toHaveLength(1);
    expect(spawned[0]!.dead).toBe(true);
    expect(spawned[0]!.exception).toBeInstanceOf(ReactorStoppedError);
    expect(errors).toEqual([]);
    expect(hub.stats().live).toBe(0);
  });

  it.each(['generator', 'async'])(
    'killed in the grace (%s): the greenlets its listener spawns run, and stop() kills them with the rest',
    async (kind) => {
      const { hub, clock, errors } = makeVirtualHub();
      const ran: string[] = [];
      const children: Array<Greenlet<unknown>> = [];
      const g = spawnSleeper(hub, kind);
      g.signal.addEventListener('abort', () => {
        for (let i = 0; i < 3; i++) {
          children.push(
            hub.spawn(async () => {
              ran.push(`child ${i}`);
              for (;;) await hub.cooperate(); // never ends by itself: only stop()'s kill ends it
            }),
          );
        }
      });
      await settleHub(hub);
      let killed = false;
      void g.kill().addCallback(() => void (killed = true));
      await settleHub(hub);
      expect(killed).toBe(true);
      expect(ran).toEqual(['child 0', 'child 1', 'child 2']);
      expect(await stop(hub, clock, 200)).toBe(true);
      expect(children.filter((c) => !c.dead).map(String)).toEqual([]);
      expect(errors).toEqual([]);
      expect(hub.stats().live).toBe(0);
    },
  );
});
