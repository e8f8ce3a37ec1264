/**
 * Review attacks: a hub wait its greenlet made but did not (only) park on — given callbacks, chained with `then`,
 * awaited late, or parked on with callbacks of its own — and then the greenlet is killed. Whatever the order of
 * await, callbacks, foreign awaits and the kill, the wait fires exactly once (with the kill when it had no outcome
 * yet), the kill still ends the greenlet, and whatever the wait held (a waiter place, a timer) is let go.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import type { Failure } from '../../src/deferred/failure.js';
import { setUnhandledErrorHandler } from '../../src/deferred/unhandled-error-handler.js';
import { Event } from '../../src/green/event.js';
import { GreenPool } from '../../src/green/green-pool.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import type { Hub } from '../../src/green/hub.js';
import { Queue } from '../../src/green/queue.js';
import { Semaphore } from '../../src/green/semaphore.js';
import { waitForDeferred } from '../../src/green/wait-for-deferred.js';
import { withTimeout } from '../../src/green/with-timeout.js';
import { GreenletExit } from '../../src/errors.js';
import type { Clock } from '../../src/time/clock.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

/** A wait kind: `make()` makes the wait (inside the greenlet); `idle()` is true once nothing holds a place for it. */
interface WaitKind {
  make: () => Deferred<unknown>;
  idle: () => boolean;
}

type KindMaker = (hub: Hub, clock: Clock) => WaitKind;

const kinds: [string, KindMaker][] = [
  ['sleep', (hub, clock) => ({ make: () => hub.sleep(10_000), idle: () => clock.getDelayedCalls().length === 0 })],
  [
    'Event.wait',
    (hub) => {
      const e = new Event(hub);
      return {
        make: () => e.wait(),
        idle: () => {
          // Set it: a waiter still in the line would fire now.
          e.set();
          return true;
        },
      };
    },
  ],
  [
    'Queue.get',
    (hub) => {
      const q = new Queue<string>(undefined, hub);
      return {
        make: () => q.get(),
        idle: () => {
          q.putNowait('item');
          return q.qsize() === 1; // nobody took it
        },
      };
    },
  ],
  [
    'Queue.put on a full queue',
    (hub) => {
      const q = new Queue<string>(1, hub);
      q.putNowait('first');
      return {
        make: () => q.put('second'),
        idle: () => q.getNowait() === 'first' && q.qsize() === 0, // the blocked put left the line
      };
    },
  ],
  [
    'Semaphore.acquire',
    (hub) => {
      const sem = new Semaphore(0, hub);
      return {
        make: () => sem.acquire(),
        idle: () => {
          sem.release();
          return !sem.locked(); // the token was not handed to the dead waiter
        },
      };
    },
  ],
  [
    'join of another greenlet',
    (hub) => {
      const gate = new Event(hub);
      const other = hub.spawn(function* () {
        yield gate.wait();
      });
      return { make: () => other.join(), idle: () => (gate.set(), true) };
    },
  ],
  [
    'waitForDeferred',
    (hub, clock) => {
      const d = new Deferred<string>();
      return { make: () => waitForDeferred(d, 10_000, clock, hub), idle: () => clock.getDelayedCalls().length === 0 };
    },
  ],
];

/** What a wait fired with, recorded by the callbacks the greenlet gave it. */
type Fired = ['callback', unknown] | ['errback', unknown];

const record =
  (fired: Fired[]) =>
  (w: Deferred<unknown>): void => {
    w.addCallbacks(
      (v: unknown) => {
        fired.push(['callback', v]);
      },
      (f: Failure) => {
        fired.push(['errback', f.value]);
      },
    );
  };

interface Scene {
  g: Greenlet<unknown>;
  fired: Fired[];
  seen: string[];
  inForeign: Deferred<void>;
  foreign: Deferred<void>;
}

/** An async greenlet that makes a wait, hands it to `take` (not an `await`), then awaits `foreign`, then a hub wait. */
function asyncTaker(hub: Hub, kind: WaitKind, take: (w: Deferred<unknown>, fired: Fired[]) => void, awaitLate = false): Scene {
  const fired: Fired[] = [];
  const seen: string[] = [];
  const inForeign = new Deferred<void>();
  const foreign = new Deferred<void>();
  const g = hub.spawn(async () => {
    try {
      const w = kind.make();
      take(w, fired);
      inForeign.callback(undefined);
      await foreign; // a plain Deferred: foreign to the hub
      if (awaitLate) await w;
      await hub.cooperate();
      seen.push('past its next hub wait');
    } finally {
      seen.push('finally');
    }
  });
  return { g, fired, seen, inForeign, foreign };
}

describe('a hub wait its async greenlet made but did not await, when that greenlet is killed during a foreign await', () => {
  describe.each(kinds)('%s', (_, makeKind) => {
    it('given callbacks (addCallbacks): the wait errbacks with the kill, the greenlet dies at its next hub wait, the waiter leaves', async () => {
      const { hub, clock, errors } = makeVirtualHub();
      const kind = makeKind(hub, clock);
      const s = asyncTaker(hub, kind, (w, fired) => record(fired)(w));
      await s.inForeign;
      const killed = s.g.kill();
      s.foreign.callback(undefined);
      await killed;
      expect(s.fired).toHaveLength(1);
      expect(s.fired[0]?.[0]).toBe('errback');
      expect(s.fired[0]?.[1]).toBeInstanceOf(GreenletExit);
      expect(s.seen).toEqual(['finally']);
      expect(s.g.value).toBeInstanceOf(GreenletExit);
      expect(kind.idle()).toBe(true);
      expect(s.fired).toHaveLength(1);
      expect(errors).toEqual([]);
    });

    it('given callbacks, then awaited after the foreign await: the kill is thrown in there once, the wait errbacks once', async () => {
      const { hub, clock, errors } = makeVirtualHub();
      const kind = makeKind(hub, clock);
      const s = asyncTaker(hub, kind, (w, fired) => record(fired)(w), true);
      await s.inForeign;
      const killed = s.g.kill();
      s.foreign.callback(undefined);
      await killed;
      expect(s.fired.map(([how]) => how)).toEqual(['errback']);
      expect(s.seen).toEqual(['finally']);
      expect(s.g.value).toBeInstanceOf(GreenletExit);
      expect(kind.idle()).toBe(true);
      expect(errors).toEqual([]);
    });

    it('chained with then() in the run that made it: the then() Promise rejects with the kill; the greenlet dies at its next hub wait', async () => {
      const { hub, clock, errors } = makeVirtualHub();
      const kind = makeKind(hub, clock);
      const s = asyncTaker(hub, kind, (w, fired) => {
        void w.then(
          (v) => fired.push(['callback', v]),
          (e: unknown) => fired.push(['errback', e]),
        );
      });
      await s.inForeign;
      const killed = s.g.kill();
      s.foreign.callback(undefined);
      await killed;
      expect(s.fired.map(([how]) => how)).toEqual(['errback']);
      expect(s.fired[0]?.[1]).toBeInstanceOf(GreenletExit);
      expect(s.g.value).toBeInstanceOf(GreenletExit);
      expect(s.seen).toEqual(['finally']);
      expect(kind.idle()).toBe(true);
      expect(errors).toEqual([]);
    });
  });
});

describe('a hub wait a generator greenlet parks on with callbacks of its own, when the greenlet is killed there', () => {
  it.each(kinds)('%s: the wait errbacks with the kill once, the waiter leaves', async (_, makeKind) => {
    const { hub, clock, errors } = makeVirtualHub();
    const kind = makeKind(hub, clock);
    const fired: Fired[] = [];
    const g = hub.spawn(function* () {
      const w = kind.make();
      record(fired)(w);
      yield w;
    });
    hub.flush();
    await g.kill();
    expect(fired.map(([how]) => how)).toEqual(['errback']);
    expect(fired[0]?.[1]).toBeInstanceOf(GreenletExit);
    expect(kind.idle()).toBe(true);
    expect(fired).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('These tests need node --expose-gc (npm run jest passes it)');

/** Run `scene`, then collect garbage for a few rounds: the failures left unhandled in Deferreds it dropped. */
async function unhandledAfter(scene: () => Promise<void>): Promise<unknown[]> {
  const reports: unknown[] = [];
  const previous = setUnhandledErrorHandler((f) => reports.push(f.value));
  try {
    await scene();
    for (let i = 0; i < 10; i++) {
      gc!();
      await nextTurn();
    }
  } finally {
    setUnhandledErrorHandler(previous);
  }
  return reports;
}

describe('a wait that wraps others, when the greenlet waiting in it is killed', () => {
  it.each(['generator', 'async'] as const)(
    'GreenPool.map() (%s greenlet): fires once with the kill, its greenlets are killed, no failure is left unhandled',
    async (how) => {
      const { hub, errors } = makeVirtualHub();
      const pool = new GreenPool(2, hub);
      const gate = new Event(hub);
      const fired: Fired[] = [];
      const reports = await unhandledAfter(async () => {
        const mapping = (): Deferred<unknown> => {
          const d = pool.map(() => gate.wait(), [1, 2]);
          record(fired)(d);
          return d;
        };
        const g =
          how === 'generator'
            ? hub.spawn(function* () {
                yield mapping();
              })
            : hub.spawn(async () => {
                await mapping();
              });
        hub.flush();
        await Promise.resolve();
        hub.flush();
        await g.kill();
        expect(pool.freeCount()).toBe(2); // the greenlets map spawned were killed
      });
      expect(fired.map(([kind]) => kind)).toEqual(['errback']);
      expect(fired[0]?.[1]).toBeInstanceOf(GreenletExit);
      expect(reports).toEqual([]);
      expect(errors).toEqual([]);
    },
    // A bound against a hang only: ten forced full GCs of a shard's heap on a loaded machine took past Jest's 20 s.
    120_000,
  );

  it('withTimeout(sem.acquire(), ms): the wrapped acquire fires once with the kill too, and leaves the line', async () => {
    const { hub, errors } = makeVirtualHub();
    const sem = new Semaphore(0, hub);
    const fired: Fired[] = [];
    const g = hub.spawn(function* () {
      const acquire = sem.acquire();
      record(fired)(acquire);
      yield withTimeout(acquire, 10_000, hub);
    });
    hub.flush();
    await g.kill();
    expect(fired.map(([kind]) => kind)).toEqual(['errback']);
    expect(fired[0]?.[1]).toBeInstanceOf(GreenletExit);
    sem.release();
    expect(sem.locked()).toBe(false);
    expect(errors).toEqual([]);
  });
});
