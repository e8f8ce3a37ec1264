/**
 * Review attacks: hub waits under interleavings of kills with the waits' own callbacks — a kill during `finally`,
 * a wait awaited twice, a kill from inside a wait's callback, a wait that outlives its greenlet — and the async
 * context those callbacks run in. Each wait fires once, each kill's Deferred fires, nothing is taken twice.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Deferred } from '../../src/deferred/deferred.js';
import type { Failure } from '../../src/deferred/failure.js';
import { Event } from '../../src/green/event.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import { Queue } from '../../src/green/queue.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

class SecondKill extends Error {
  override name = 'SecondKill';
}

/** Record how `d` fires: `'callback <value>'` or `'errback <name>'`. */
function recordFiring(d: Deferred<unknown>, fired: string[]): void {
  d.addCallbacks(
    (v: unknown) => {
      fired.push(`callback ${String(v)}`);
    },
    (f: Failure) => {
      fired.push(`errback ${(f.value as Error).name}`);
    },
  );
}

describe('a second kill while the greenlet waits in its finally', () => {
  it.each(['generator', 'async'] as const)('%s: the finally wait errbacks once with it, both kills fire, it dies with the second', async (how) => {
    const { hub, errors } = makeVirtualHub();
    const seen: string[] = [];
    const fired: string[] = [];
    const inFinally = new Deferred<void>();
    const cleanup = (): Deferred<void> => {
      const w = hub.sleep(60_000);
      recordFiring(w, fired);
      inFinally.callback(undefined);
      return w;
    };
    const g: Greenlet<unknown> =
      how === 'generator'
        ? hub.spawn(function* () {
            try {
              yield hub.sleep(60_000);
            } finally {
              seen.push('finally');
              yield cleanup();
              seen.push('cleaned up');
            }
          })
        : hub.spawn(async () => {
            try {
              await hub.sleep(60_000);
            } finally {
              seen.push('finally');
              await cleanup();
              seen.push('cleaned up');
            }
          });
    hub.flush();
    await Promise.resolve();
    const first = g.kill();
    await inFinally;
    const second = g.kill(new SecondKill());
    await first;
    await second;
    expect(seen).toEqual(['finally']);
    expect(fired).toEqual(['errback SecondKill']);
    expect(g.exception).toBeInstanceOf(SecondKill);
    expect(errors).toEqual([expect.any(SecondKill)]); // nobody observed it: reported once
  });
});

describe('a hub wait awaited twice by its greenlet (Promise.all([w, w]))', () => {
  it('resumes it once with both values', async () => {
    const { hub } = makeVirtualHub();
    const e = new Event(hub);
    let resumed = 0;
    const g = hub.spawn(async () => {
      const w = e.wait();
      const both = await Promise.all([w, w]);
      resumed++;
      return both;
    });
    hub.flush();
    await nextTurn();
    e.set();
    expect(await g).toEqual([true, true]);
    expect(resumed).toBe(1);
  });
});

describe('a kill from inside a hub wait\'s callback', () => {
  it('a dropped wait\'s callback kills another greenlet parked in a wait: both waits fire once, both die', async () => {
    const { hub, errors } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const e = new Event(hub);
    const fired: string[] = [];
    let second: Greenlet<unknown> | null = null;
    const first = hub.spawn(function* () {
      const w = q.get();
      w.addErrback((f: Failure) => {
        fired.push(`first: errback ${(f.value as Error).name}`);
        void second!.kill();
      });
      yield w;
    });
    second = hub.spawn(function* () {
      const w = e.wait();
      recordFiring(w, fired);
      yield w;
    });
    hub.flush();
    await first.kill();
    await second.join();
    expect(fired).toEqual(['first: errback GreenletExit', 'errback GreenletExit']);
    expect([first.dead, second.dead]).toEqual([true, true]);
    q.putNowait('item');
    expect(q.qsize()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('a served wait\'s callback kills its own greenlet before it ran: the item goes back, the greenlet dies', async () => {
    const { hub } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const seen: string[] = [];
    const g: Greenlet<unknown> = hub.spawn(function* () {
      try {
        const w = q.get();
        w.addCallback(() => void g.kill());
        const got: unknown = yield w;
        seen.push(`got ${String(got)}`);
      } finally {
        seen.push('finally');
      }
    });
    hub.flush();
    q.putNowait('item');
    hub.flush();
    await g.join();
    expect(seen).toEqual(['finally']);
    expect(q.qsize()).toBe(1);
    expect(q.getNowait()).toBe('item');
  });
});

describe('a hub wait that outlives the async greenlet that made it', () => {
  it('given callbacks and left when the greenlet returned: fires once with its outcome, which its callbacks take', async () => {
    const { hub } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const fired: string[] = [];
    const g = hub.spawn(async () => {
      recordFiring(q.get(), fired);
      await Promise.resolve();
      return 'returned';
    });
    expect(await g).toBe('returned');
    q.putNowait('item');
    expect(fired).toEqual(['callback item']);
    expect(q.qsize()).toBe(0);
    await g.kill(); // dead already: nothing changes
    expect(fired).toEqual(['callback item']);
  });
});

describe('the async context of a dropped wait\'s callbacks', () => {
  it('they run in the context of the code that killed the greenlet (Twisted\'s rule: whoever fires it)', async () => {
    const { hub } = makeVirtualHub();
    const als = new AsyncLocalStorage<string>();
    const e = new Event(hub);
    const seen: string[] = [];
    const g = als.run('spawner', () =>
      hub.spawn(function* () {
        try {
          const w = e.wait();
          w.addErrback(() => {
            seen.push(`callback in ${String(als.getStore())}`);
          });
          yield w;
        } finally {
          seen.push(`finally in ${String(als.getStore())}`);
        }
      }),
    );
    hub.flush();
    await als.run('killer', () => g.kill());
    expect(seen).toEqual(['callback in killer', 'finally in spawner']);
  });
});
