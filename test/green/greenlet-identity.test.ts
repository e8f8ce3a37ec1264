import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promiseHooks } from 'node:v8';
import { afterEach, describe, expect, it } from '@jest/globals';
import { GreenletIdentity } from '../../src/green/greenlet-identity.js';
import { Hub } from '../../src/green/hub.js';
import { Clock } from '../../src/time/clock.js';

/** A real (foreign) timer. */
function realTimer(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const owner = { name: 'a' };
const other = { name: 'b' };
const identities: Array<GreenletIdentity<object>> = [];

function newIdentity(): GreenletIdentity<object> {
  const identity = new GreenletIdentity<object>();
  identities.push(identity);
  return identity;
}

afterEach(() => {
  for (const identity of identities.splice(0)) identity.disable();
});

describe('GreenletIdentity', () => {
  describe('.run()', () => {
    it('keeps the owner current after awaits of a real timer and an fs.promises read, and none outside', async () => {
      const identity = newIdentity();
      const seen: unknown[] = [];
      const done = identity.run(owner, async () => {
        seen.push(identity.get());
        await realTimer(2);
        seen.push(identity.get());
        await readFile(fileURLToPath(import.meta.url));
        seen.push(identity.get());
      }, []);
      expect(identity.get()).toBeUndefined();
      await done;
      expect(identity.get()).toBeUndefined();
      expect(seen).toEqual([owner, owner, owner]);
    });

    it('gives a then callback the owner of the code that called then, not of the code that settled the Promise', async () => {
      const identity = newIdentity();
      let settle!: (v: number) => void;
      const shared = new Promise<number>((resolve) => (settle = resolve)); // made outside any owner
      const seen: unknown[] = [];
      const a = identity.run(owner, () => shared.then(() => seen.push(['a', identity.get()])), []);
      const b = identity.run(other, () => shared.then(() => seen.push(['b', identity.get()])), []);
      identity.run(other, () => settle(1), []);
      await Promise.all([a, b]);
      expect(seen).toEqual([['a', owner], ['b', other]]);
    });

    it('runs callbacks of non-Promise APIs (a timer) with no owner', async () => {
      const identity = newIdentity();
      const seen = await identity.run(owner, () => new Promise<unknown>((resolve) => setTimeout(() => resolve(identity.get()), 1)), []);
      expect(seen).toBeUndefined();
    });

    it('keeps two identities apart', async () => {
      const first = newIdentity();
      const second = newIdentity();
      const seen = await first.run(owner, () => second.run(other, async () => {
        await realTimer(1);
        return [first.get(), second.get()];
      }, []), []);
      expect(seen).toEqual([owner, other]);
    });
  });

  describe('.disable()', () => {
    it('turns the hooks off: Promises made afterwards carry no owner, and nothing is current', async () => {
      const identity = newIdentity();
      identity.enable();
      identity.disable();
      expect(identity.enabled).toBe(false);
      const outer = identity.enter(owner); // current for this synchronous stretch only: no hook records it
      const p = Promise.resolve().then(() => identity.get());
      identity.restore(outer);
      expect(await p).toBeUndefined();
    });
  });
});

describe('Hub', () => {
  describe('greenlet identity', () => {
    it('switches the promise hooks on once for a pass of async greenlets that finish within their first step', async () => {
      const hub = new Hub();
      await hub.spawn(() => 'the first capture of a context probes with an AsyncLocalStorage (hooks of its own)');
      const create = promiseHooks.createHook;
      let hooksMade = 0;
      promiseHooks.createHook = (hooks) => {
        hooksMade++;
        return create(hooks);
      };
      try {
        const greenlets = Array.from({ length: 8 }, (_, i) => hub.spawn(async () => i));
        expect(await Promise.all(greenlets)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      } finally {
        promiseHooks.createHook = create;
      }
      expect(hooksMade).toBe(1);
      expect(hub.stats().switches).toBe(9);
    });

    it('costs the hub one pass and one switch however many foreign awaits an async greenlet makes: no wake-up, timer or slice per resume', async () => {
      let turns = 0;
      const clock = new Clock();
      const hub = new Hub({ clock, nextTurn: (fn) => {
        turns++;
        setImmediate(fn);
      } });
      const g = hub.spawn(async () => {
        let sum = 0;
        for (let i = 0; i < 20; i++) sum += await Promise.resolve(i);
        await realTimer(1); // a foreign wait across event-loop turns
        await readFile(fileURLToPath(import.meta.url));
        return sum;
      });
      expect(await g).toBe(190);
      expect(turns).toBe(1);
      expect(hub.stats()).toMatchObject({ switches: 1, slices: 1 });
      expect(clock.getDelayedCalls()).toHaveLength(0);
    });

    it('a child spawned by flush() from an async greenlet is not its parent in its own Promise callbacks', async () => {
      const hub = new Hub();
      const seen: unknown[] = [];
      const parent = hub.spawn(async () => {
        await realTimer(1); // its continuation runs as its own, outside any pass
        hub.spawn(function* child() {
          yield Promise.resolve().then(() => seen.push(hub.getCurrent()));
        });
        hub.flush(); // the child's step runs here, inside the parent's continuation
        seen.push(hub.getCurrent()?.name);
        await realTimer(1);
      });
      await parent;
      expect(seen).toEqual(['<anonymous>', null]);
    });
  });
});
