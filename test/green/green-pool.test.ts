import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { GreenPool } from '../../src/green/green-pool.js';
import { Group } from '../../src/green/group.js';
import { Hub } from '../../src/green/hub.js';
import { joinAll } from '../../src/green/join-all.js';
import { killAll } from '../../src/green/kill-all.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { makeVirtualHub, type VirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

const makeHub = (): VirtualHub => makeVirtualHub();

afterEach(async () => {
  await nextTurn();
});

describe('GreenPool', () => {
  it('rejects a negative size with RangeError', () => {
    expect(() => new GreenPool(-1, makeHub().hub)).toThrow(RangeError);
  });

  describe('.spawn()', () => {
    it('returns at once and admits greenlets in FIFO order as slots free', () => {
      const { hub } = makeHub();
      const pool = new GreenPool(2, hub);
      const gates = [0, 1, 2, 3].map(() => new Deferred<void>());
      const started: number[] = [];
      const gs = gates.map((gate, i) =>
        pool.spawn(function* () {
          started.push(i);
          yield gate;
        }),
      );
      expect(gs.map((g) => g.started)).toEqual([true, true, false, false]);
      hub.flush();
      expect(started).toEqual([0, 1]);
      expect(pool.full()).toBe(true);
      gates[1]!.callback(undefined);
      hub.flush();
      expect(started).toEqual([0, 1, 2]);
      gates[0]!.callback(undefined);
      hub.flush();
      expect(started).toEqual([0, 1, 2, 3]);
    });

    it('with size 0 admits nothing', () => {
      const { hub } = makeHub();
      const pool = new GreenPool(0, hub);
      const g = pool.spawn(() => 1);
      hub.flush();
      expect(g.started).toBe(false);
      expect(pool.freeCount()).toBe(0);
      void pool.kill();
      expect(g.dead).toBe(true);
    });
  });

  describe('.map()', () => {
    it('fires with the results in input order', () => {
      const { hub, clock } = makeHub();
      const pool = new GreenPool(3, hub);
      const d = pool.map(function* (ms: number) {
        yield hub.sleep(ms);
        return ms;
      }, [30, 10, 20]);
      hub.flush();
      clock.pump([10, 10, 10]);
      hub.flush();
      expect(successResultOf(d)).toEqual([30, 10, 20]);
    });

    it('errbacks with the first error in time and kills the rest', () => {
      const { hub, clock } = makeHub();
      const pool = new GreenPool(3, hub);
      const finished: number[] = [];
      const d = pool.map(function* (ms: number) {
        yield hub.sleep(ms);
        if (ms === 20) throw new Error(`failed at ${ms}`);
        finished.push(ms);
        return ms;
      }, [30, 20, 10]);
      hub.flush();
      clock.advance(10);
      hub.flush();
      clock.advance(10);
      hub.flush();
      expect(failureResultOf(d).value).toMatchObject({ message: 'failed at 20' });
      clock.advance(10);
      hub.flush();
      expect(finished).toEqual([10]);
    });
  });

  describe('.imap() / .imapUnordered()', () => {
    /** Items are indexes of gates; a greenlet finishes when the test fires its gate (no wall time involved). */
    const gated = (gates: Array<Deferred<void>>) =>
      function* (i: number) {
        yield gates[i];
        return i;
      };
    const gatesOf = (n: number): Array<Deferred<void>> => Array.from({ length: n }, () => new Deferred<void>());

    it('imap yields in input order with at most `size` in flight', async () => {
      const { hub } = makeHub();
      const pool = new GreenPool(2, hub);
      const gates = gatesOf(4);
      let running = 0;
      let maxRunning = 0;
      const counted = function* (i: number) {
        maxRunning = Math.max(maxRunning, ++running);
        try {
          yield gates[i];
        } finally {
          running--;
        }
        return i;
      };
      const seen: number[] = [];
      const consumed = (async () => {
        for await (const v of pool.imap(counted, [0, 1, 2, 3])) seen.push(v);
      })();
      hub.flush();
      expect(running).toBe(2); // the other two wait for a slot
      for (const i of [3, 1, 2, 0]) gates[i]!.callback(undefined); // they finish in this order
      await consumed;
      expect(seen).toEqual([0, 1, 2, 3]);
      expect(maxRunning).toBe(2);
    });

    it('imapUnordered yields in completion order', async () => {
      const { hub } = makeHub();
      const pool = new GreenPool(4, hub);
      const gates = gatesOf(4);
      const seen: number[] = [];
      const consumed = (async () => {
        for await (const v of pool.imapUnordered(gated(gates), [0, 1, 2, 3])) seen.push(v);
      })();
      hub.flush(); // all four wait on their gates
      for (const i of [3, 1, 2, 0]) {
        gates[i]!.callback(undefined);
        hub.flush(); // it finishes now
      }
      await consumed;
      expect(seen).toEqual([3, 1, 2, 0]);
    });

    it.each(['imap', 'imapUnordered'] as const)('%s: breaking out kills what is still running', async (method) => {
      const hub = new Hub();
      const pool = new GreenPool(4, hub);
      const gates = gatesOf(3);
      gates[0]!.callback(undefined);
      for await (const v of pool[method](gated(gates), [0, 1, 2])) {
        expect(v).toBe(0);
        break;
      }
      expect(pool.freeCount()).toBe(4);
    });

    it.each(['imap', 'imapUnordered'] as const)(
      "%s: an item that fails before the consumer reaches it is reported once, by the iterator, not on the hub's 'error'",
      async (method) => {
        const { hub, errors } = makeHub();
        const pool = new GreenPool(2, hub);
        const gates = gatesOf(2);
        const boom = new Error('item 1 failed');
        const fn = function* (i: number) {
          yield gates[i];
          if (i === 1) throw boom;
          return i;
        };
        const it = pool[method](fn, [0, 1])[Symbol.asyncIterator]();
        const first = it.next(); // the consumer waits for item 0
        hub.flush();
        gates[1]!.callback(undefined);
        hub.flush(); // item 1 fails while the consumer still waits for item 0
        expect(errors).toEqual([]);
        gates[0]!.callback(undefined);
        hub.flush();
        const got: unknown[] = [];
        try {
          got.push((await first).value);
          got.push((await it.next()).value);
        } catch (error: unknown) {
          got.push(error);
        }
        expect(got).toEqual(method === 'imap' ? [0, boom] : [boom]); // imapUnordered: in completion order
        await nextTurn(); // a report on 'error' would come by now
        expect(errors).toEqual([]);
      },
    );
  });

  describe('.join() / .kill() / .waitAvailable()', () => {
    it('join fires true when all are dead, false on timeout', () => {
      const { hub, clock } = makeHub();
      const pool = new GreenPool(1, hub);
      pool.spawn(function* () {
        yield hub.sleep(10);
      });
      pool.spawn(function* () {
        yield hub.sleep(10);
      });
      const short = pool.join(5);
      const long = pool.join();
      hub.flush();
      clock.advance(5);
      expect(successResultOf(short)).toBe(false);
      clock.advance(5);
      hub.flush();
      clock.advance(10);
      hub.flush();
      expect(successResultOf(long)).toBe(true);
    });

    it('waitAvailable fires with the free count once a slot frees', () => {
      const { hub } = makeHub();
      const pool = new GreenPool(1, hub);
      const gate = new Deferred<void>();
      pool.spawn(function* () {
        yield gate;
      });
      const d = pool.waitAvailable();
      hub.flush();
      gate.callback(undefined);
      hub.flush();
      expect(successResultOf(d)).toBe(1);
    });

    it('waitAvailable fires with 0 on timeout', () => {
      const { hub, clock } = makeHub();
      const pool = new GreenPool(1, hub);
      pool.spawn(function* () {
        yield new Deferred();
      });
      const d = pool.waitAvailable(5);
      clock.advance(5);
      expect(successResultOf(d)).toBe(0);
      void pool.kill();
      hub.flush();
    });
  });
});

describe('Group', () => {
  it('tracks members until they die, and join waits for all', () => {
    const { hub } = makeHub();
    const group = new Group(hub);
    const gate = new Deferred<void>();
    group.spawn(function* () {
      yield gate;
    });
    group.spawn(() => 1);
    expect(group.size).toBe(2);
    const joined = group.join();
    hub.flush();
    expect(group.size).toBe(1);
    gate.callback(undefined);
    hub.flush();
    expect(group.size).toBe(0);
    expect(successResultOf(joined)).toBe(true);
  });

  it('add/discard manage membership without killing', () => {
    const { hub } = makeHub();
    const group = new Group(hub);
    const g = hub.spawn(function* () {
      yield;
    });
    group.add(g);
    expect(group.has(g)).toBe(true);
    group.discard(g);
    expect(group.size).toBe(0);
    hub.flush();
    expect(g.successful()).toBe(true);
  });

  it('kill kills every member', () => {
    const { hub } = makeHub();
    const group = new Group(hub);
    const a = group.spawn(function* () {
      yield new Deferred();
    });
    const b = group.spawn(() => 1);
    const d = group.kill();
    hub.flush();
    expect(successResultOf(d)).toBeUndefined();
    expect(a.dead && b.dead).toBe(true);
  });
});

describe('joinAll()', () => {
  it('fires with the greenlets in finishing order', () => {
    const { hub, clock } = makeHub();
    const mk = (ms: number) =>
      hub.spawn(function* () {
        yield hub.sleep(ms);
      });
    const a = mk(30);
    const b = mk(10);
    const c = mk(20);
    const d = joinAll([a, b, c], { hub });
    hub.flush();
    clock.pump([10, 10, 10]);
    hub.flush();
    expect(successResultOf(d)).toEqual([b, c, a]);
  });

  it('lists the greenlets already dead first, in the order given, and errbacks at once for a failed one', () => {
    const { hub } = makeHub();
    const parked = () =>
      hub.spawn(function* () {
        yield new Deferred();
      });
    const err = new Error('already failed');
    const doneA = hub.spawn(() => 'a');
    const failed = hub.spawn(() => {
      throw err;
    });
    const doneB = hub.spawn(() => 'b');
    const live1 = parked();
    const live2 = parked();
    hub.flush();
    const gate = new Deferred<void>();
    const late = hub.spawn(function* () {
      yield gate;
    });
    hub.flush();
    const d = joinAll([live1, doneB, late, doneA, live2], { hub });
    gate.callback(undefined);
    hub.flush();
    void live1.kill();
    void live2.kill();
    hub.flush();
    expect(successResultOf(d)).toEqual([doneB, doneA, late, live1, live2]);
    const live3 = parked();
    hub.flush();
    const raised = joinAll([live3, doneA, failed], { raiseError: true, hub });
    expect(failureResultOf(raised).value).toBe(err); // at once: no step, no microtask
    void live3.kill();
    hub.flush();
  });

  it('with timeoutMs fires with those finished so far', () => {
    const { hub, clock } = makeHub();
    const fast = hub.spawn(() => 1);
    const slow = hub.spawn(function* () {
      yield hub.sleep(100);
    });
    const d = joinAll([slow, fast], { timeoutMs: 10, hub });
    hub.flush();
    clock.advance(10);
    expect(successResultOf(d)).toEqual([fast]);
  });

  it('with raiseError errbacks with the first exception', () => {
    const { hub } = makeHub();
    const err = new Error('first');
    const d = joinAll(
      [
        hub.spawn(() => {
          throw err;
        }),
        hub.spawn(() => 2),
      ],
      { raiseError: true, hub },
    );
    hub.flush();
    expect(failureResultOf(d).value).toBe(err);
  });
});

describe('killAll()', () => {
  it('kills every greenlet and fires once all are dead', () => {
    const { hub } = makeHub();
    const gs = [0, 1].map(() =>
      hub.spawn(function* () {
        yield new Deferred();
      }),
    );
    hub.flush();
    const d = killAll(gs);
    hub.flush();
    expect(successResultOf(d)).toBeUndefined();
    expect(gs.every((g) => g.dead)).toBe(true);
  });
});
