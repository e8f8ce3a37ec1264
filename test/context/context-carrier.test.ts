import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { ContextCarrierError } from '../../src/errors.js';
import { captureCarriedContext, contextCarrierNames, defineContextCarrier, restoreCarriedContext } from '../../src/context/context-carrier.js';
import * as fx from '../fixtures/context-tasks.js';
import { built, failureOf, gate } from '../threads/thread-test-kit.js';

/** A carrier only the main thread knows (the workers never import this file): sends a value only when asked to. */
const mainOnly = { send: false };
defineContextCarrier('test.mainOnly', {
  capture: () => (mainOnly.send ? 'stray' : undefined),
  restore: (_value, run) => run(),
});

/** A carrier whose capture throws when asked to. */
const broken = { throwing: false };
defineContextCarrier('test.broken', {
  capture: () => {
    if (broken.throwing) throw new Error('no trace here');
    return undefined;
  },
  restore: (_value, run) => run(),
});

describe('context carriers (SPEC §10)', () => {
  let pool: ThreadPool | undefined;
  afterEach(async () => {
    mainOnly.send = false;
    broken.throwing = false;
    await pool?.close();
    pool = undefined;
  });

  describe('defineContextCarrier()', () => {
    it('refuses a name that another carrier already has', () => {
      expect(() => defineContextCarrier('test.requestId', { capture: () => 1, restore: (_v, run) => run() })).toThrow(TypeError);
    });

    it('returns the registered carrier when the same spec is registered again', () => {
      expect(defineContextCarrier('test.requestId', fx.requestIdCarrier)).toBe(fx.requestIdCarrier);
    });

    it.each([
      ['an empty name', '', { capture: () => 1, restore: (_v: unknown, run: () => unknown) => run() }],
      ['a spec without restore', 'test.half', { capture: () => 1 }],
    ])('refuses %s with TypeError', (_what, name, spec) => {
      expect(() => defineContextCarrier(name, spec as never)).toThrow(TypeError);
    });

    it('lists carriers in registration order', () => {
      const names = contextCarrierNames();
      expect(names.indexOf('test.requestId')).toBeLessThan(names.indexOf('test.mainOnly'));
    });
  });

  describe('in process', () => {
    it('captures nothing when every carrier returns undefined, so restore is not called', () => {
      expect(captureCarriedContext()).toBeUndefined();
      const before = fx.restores.count;
      expect(restoreCarriedContext(undefined, () => 'ran')).toBe('ran');
      expect(fx.restores.count).toBe(before);
    });

    it('captures only the carriers allowed', () => {
      fx.requestId.run('r1', () => {
        mainOnly.send = true;
        expect(captureCarriedContext()).toEqual({ 'test.requestId': 'r1', 'test.mainOnly': 'stray' });
        expect(captureCarriedContext(new Set(['test.mainOnly']))).toEqual({ 'test.mainOnly': 'stray' });
      });
    });

    it('nests restores in registration order, the first registered outermost', () => {
      const order: string[] = [];
      defineContextCarrier('test.orderA', { capture: () => undefined, restore: (_v, run) => (order.push('A'), run()) });
      defineContextCarrier('test.orderB', { capture: () => undefined, restore: (_v, run) => (order.push('B'), run()) });
      restoreCarriedContext({ 'test.orderB': 1, 'test.orderA': 2 }, () => order.push('run'));
      expect(order).toEqual(['A', 'B', 'run']);
    });
  });

  describe('across the thread boundary', () => {
    it("runs a thread task inside its caller's context", async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const d = fx.requestId.run('req-7', () => pool!.run(built(fx.whoAmI)));
      expect(await d).toBe('req-7');
    });

    it("keeps the context through the task's own awaits", async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      expect(await fx.requestId.run('req-8', () => pool!.run(built(fx.whoAmIAfterAwait)))).toBe('req-8');
    });

    it('runs a task dispatched outside any context with none', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      expect(await pool.run(built(fx.whoAmI))).toBeNull();
    });

    it('gives each of 1,000 concurrent requests only its own context', async () => {
      pool = new ThreadPool({ maxThreads: 2 });
      const ids = Array.from({ length: 1000 }, (_, i) => `req-${i}`);
      const seen = await Promise.all(ids.map((id) => fx.requestId.run(id, () => pool!.run(built(fx.whoAmI)))));
      expect(seen).toEqual(ids);
    });

    it('carries only the carriers the pool is told to carry', async () => {
      pool = new ThreadPool({ maxThreads: 1 }, { carry: () => new Set(['test.mainOnly']) });
      expect(await fx.requestId.run('req-9', () => pool!.run(built(fx.whoAmI)))).toBeNull();
    });

    it("carries the worker's context back to an exposed function (blockingCallFromThread)", async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      pool.expose('whoIsAsking', () => fx.requestId.getStore() ?? null);
      // Workers started outside any request: the pool's own message handling holds no request's context.
      expect(await pool.run(built(fx.whoAmI))).toBeNull();
      expect(await fx.requestId.run('req-10', () => pool!.run(built(fx.askMain), 'whoIsAsking'))).toBe('req-10');
      expect(await fx.requestId.run('req-12', () => pool!.run(built(fx.askMain), 'whoIsAsking'))).toBe('req-12');
    });

    it("carries the worker's context back to an exposed function (callFromThread)", async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      let heard: string | undefined;
      let told: () => void = () => undefined;
      const called = new Promise<void>((resolve) => (told = resolve));
      pool.expose('note', () => {
        heard = fx.requestId.getStore();
        told();
      });
      expect(await pool.run(built(fx.whoAmI))).toBeNull(); // workers started outside any request
      await fx.requestId.run('req-11', () => pool!.run(built(fx.tellMain), 'note'));
      await called;
      expect(heard).toBe('req-11');
    });

    it('never shows an exposed function the stores of the dispatch that happened to start the worker', async () => {
      const uncarried = new AsyncLocalStorage<string>();
      pool = new ThreadPool({ maxThreads: 1 });
      pool.expose('peek', () => uncarried.getStore() ?? null);
      // The first dispatch starts the worker inside another request's store, which no carrier carries.
      expect(await uncarried.run('request-A', () => pool!.run(built(fx.whoAmI)))).toBeNull();
      expect(await pool.run(built(fx.askMain), 'peek')).toBeNull();
    });

    it('fails the call with ContextCarrierError when the worker does not know a carried name, and never runs it', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const cells = gate(1);
      mainOnly.send = true;
      const error = await failureOf(pool.run(built(fx.countRun), cells));
      expect(error).toBeInstanceOf(ContextCarrierError);
      expect(error).toMatchObject({ code: 'ERR_CONTEXT_CARRIER', carrier: 'test.mainOnly' });
      expect(error.message).toMatch(/not registered/);
      expect(Atomics.load(cells, 0)).toBe(0);
    });

    it('fails the dispatch with ContextCarrierError when a capture throws, and sends nothing', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const cells = gate(1);
      broken.throwing = true;
      const error = await failureOf(pool.run(built(fx.countRun), cells));
      expect(error).toBeInstanceOf(ContextCarrierError);
      expect(error.message).toMatch(/test\.broken.*no trace here/);
      expect(error.cause).toBeInstanceOf(Error);
      expect(pool.state).toBe('idle'); // nothing reached a worker: Piscina never even started
    });
  });
});

describe('policy context.carry', () => {
  it('limits the carriers a reactor sends with its thread tasks, and follows a new config', async () => {
    const { Reactor } = await import('../../src/reactor/reactor.js');
    const reactor = new Reactor({ policy: { threads: { maxThreads: 1 }, context: { carry: ['test.mainOnly'] } } });
    try {
      expect(await fx.requestId.run('req-20', () => reactor.deferToThread(built(fx.whoAmI)))).toBeNull();
      reactor.policy.update({ threads: { maxThreads: 1 } });
      expect(await fx.requestId.run('req-21', () => reactor.deferToThread(built(fx.whoAmI)))).toBe('req-21');
    } finally {
      await reactor.stop({ graceMs: 0 });
    }
  });

  it('refuses a carry list that is not an array of names', async () => {
    const { Reactor } = await import('../../src/reactor/reactor.js');
    expect(() => new Reactor({ policy: { context: { carry: 'otel' as never } } })).toThrow(/context\/carry/);
  });
});
