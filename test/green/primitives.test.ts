import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { AsyncResult } from '../../src/green/async-result.js';
import { BoundedSemaphore } from '../../src/green/bounded-semaphore.js';
import { Event } from '../../src/green/event.js';
import { Lock } from '../../src/green/lock.js';
import { Queue } from '../../src/green/queue.js';
import { Semaphore } from '../../src/green/semaphore.js';
import { withTimeout } from '../../src/green/with-timeout.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { makeVirtualHub, type VirtualHub } from '../helpers/virtual-hub.js';
import { serveThenEnd, spawnWaiter, waiterEndings, waiterKinds } from './fixtures/served-waiter.js';
import { nextTurn } from '../helpers/next-turn.js';

const makeHub = (): VirtualHub => makeVirtualHub();

afterEach(async () => {
  await nextTurn();
});

describe('Event', () => {
  describe('.wait()', () => {
    it('fires true at once when set', () => {
      const { hub } = makeHub();
      const e = new Event(hub);
      e.set();
      expect(successResultOf(e.wait())).toBe(true);
    });

    it('wakes every waiter in order when set', () => {
      const { hub } = makeHub();
      const e = new Event(hub);
      const seen: number[] = [];
      for (let i = 0; i < 3; i++) e.wait().addCallback(() => seen.push(i));
      e.set();
      expect(seen).toEqual([0, 1, 2]);
    });

    it('fires false on timeout', () => {
      const { hub, clock } = makeHub();
      const e = new Event(hub);
      const d = e.wait(10);
      clock.advance(10);
      expect(successResultOf(d)).toBe(false);
      e.set();
      expect(successResultOf(d)).toBe(false);
    });

    it('parks a generator greenlet until set', () => {
      const { hub } = makeHub();
      const e = new Event(hub);
      const g = hub.spawn(function* () {
        return (yield e.wait()) as boolean;
      });
      hub.flush();
      expect(g.dead).toBe(false);
      e.set();
      hub.flush();
      expect(g.value).toBe(true);
    });
  });

  describe('.clear() / .isSet()', () => {
    it('clear resets the flag so later waits block', () => {
      const { hub } = makeHub();
      const e = new Event(hub);
      e.set();
      expect(e.isSet()).toBe(true);
      e.clear();
      expect(e.isSet()).toBe(false);
      assertNoResult(e.wait());
    });
  });

  it('is awaitable', async () => {
    const { hub } = makeHub();
    const e = new Event(hub);
    setImmediate(() => e.set());
    await expect(e).resolves.toBe(true);
  });
});

describe('AsyncResult', () => {
  it('get fires with the value once set, and ready/successful/value report it', () => {
    const { hub } = makeHub();
    const r = new AsyncResult<number>(hub);
    const d = r.get();
    expect(r.ready()).toBe(false);
    r.set(5);
    expect(successResultOf(d)).toBe(5);
    expect(r.ready()).toBe(true);
    expect(r.successful()).toBe(true);
    expect(r.value).toBe(5);
  });

  it('setException makes get errback, and exception holds it', () => {
    const { hub } = makeHub();
    const r = new AsyncResult<number>(hub);
    const err = new Error('no');
    r.setException(err);
    expect(failureResultOf(r.get()).value).toBe(err);
    expect(r.successful()).toBe(false);
    expect(r.exception).toBe(err);
  });

  it('set again overwrites the outcome for later readers', () => {
    const { hub } = makeHub();
    const r = new AsyncResult<number>(hub);
    r.set(1);
    r.set(2);
    expect(successResultOf(r.get())).toBe(2);
    r.setException(new Error('later'));
    expect(r.value).toBeUndefined();
    expect(failureResultOf(r.get()).value).toMatchObject({ message: 'later' });
  });

  it('get errbacks with TimeoutError on timeout', () => {
    const { hub, clock } = makeHub();
    const r = new AsyncResult<number>(hub);
    const d = r.get(3);
    clock.advance(3);
    expect(failureResultOf(d).value).toMatchObject({ name: 'TimeoutError' });
  });

  it('is awaitable', async () => {
    const r = new AsyncResult<string>(makeHub().hub);
    setImmediate(() => r.set('ok'));
    await expect(r).resolves.toBe('ok');
  });
});

describe('Semaphore', () => {
  it('acquire fires true at once while tokens are free, then waiters are served FIFO', () => {
    const { hub } = makeHub();
    const s = new Semaphore(1, hub);
    expect(successResultOf(s.acquire())).toBe(true);
    expect(s.locked()).toBe(true);
    const order: number[] = [];
    s.acquire().addCallback(() => order.push(1));
    s.acquire().addCallback(() => order.push(2));
    s.release();
    s.release();
    expect(order).toEqual([1, 2]);
  });

  it('acquire fires false on timeout', () => {
    const { hub, clock } = makeHub();
    const s = new Semaphore(0, hub);
    const d = s.acquire(5);
    clock.advance(5);
    expect(successResultOf(d)).toBe(false);
    s.release();
    expect(s.counter).toBe(1);
  });

  it('may be released past its start value', () => {
    const s = new Semaphore(1, makeHub().hub);
    s.release();
    expect(s.counter).toBe(2);
  });

  it('rejects a negative value with RangeError', () => {
    expect(() => new Semaphore(-1)).toThrow(RangeError);
  });

  it('run releases after the function settles, either way', () => {
    const { hub } = makeHub();
    const s = new Semaphore(1, hub);
    const inner = new Deferred<string>();
    const d = s.run(() => inner);
    expect(s.locked()).toBe(true);
    inner.callback('done');
    expect(successResultOf(d)).toBe('done');
    expect(s.locked()).toBe(false);
    const f = s.run(() => {
      throw new Error('x');
    });
    expect(failureResultOf(f).value).toMatchObject({ message: 'x' });
    expect(s.locked()).toBe(false);
  });
});

describe('primitive waits are hub waits', () => {
  it('killing a greenlet waiting on acquire() takes it out of the line: the token goes to the next waiter', () => {
    const { hub } = makeHub();
    const s = new Semaphore(0, hub);
    const got: string[] = [];
    const waiter = (name: string) =>
      hub.spawn(function* () {
        yield s.acquire();
        got.push(name);
      });
    const first = waiter('first');
    waiter('second');
    hub.flush();
    void first.kill();
    hub.flush();
    s.release();
    hub.flush();
    expect(got).toEqual(['second']);
    expect(s.counter).toBe(0);
  });

  it('a cancelled acquire() or get() leaves the line at once: the next token or item is not handed to it', () => {
    const { hub, clock } = makeHub();
    const s = new Semaphore(0, hub);
    const q = new Queue<string>(undefined, hub);
    const acquiring = s.acquire(10_000);
    const getting = q.get(10_000);
    acquiring.cancel();
    getting.cancel();
    failureResultOf(acquiring);
    failureResultOf(getting);
    expect(clock.getDelayedCalls()).toHaveLength(0);
    s.release();
    q.putNowait('x');
    expect(s.counter).toBe(1); // the token was not handed to the cancelled waiter (and lost)
    expect(q.qsize()).toBe(1);
    expect(successResultOf(q.get())).toBe('x');
  });

  it('an async greenlet waiting on Event.wait() is killable: the wait rejects and finally runs', async () => {
    const { hub } = makeHub();
    const e = new Event(hub);
    const seen: string[] = [];
    const g = hub.spawn(async () => {
      try {
        await e.wait();
        seen.push('never');
      } finally {
        seen.push('finally');
      }
    });
    hub.flush();
    await g.kill();
    expect(seen).toEqual(['finally']);
    expect(g.value).toMatchObject({ name: 'GreenletExit' });
  });

  it('an async greenlet is current again when its Queue.get() is served', async () => {
    const { hub } = makeHub();
    const q = new Queue<number>(undefined, hub);
    let current: unknown = null;
    const g = hub.spawn(async () => {
      const v = await q.get();
      current = hub.getCurrent();
      return v;
    });
    hub.flush();
    q.putNowait(5);
    await expect(g).resolves.toBe(5);
    expect(current).toBe(g);
  });
});

describe('a waiter that is killed or times out never consumes (SPEC §6.1)', () => {
  describe.each(waiterKinds)('%s greenlets', (kind) => {
    describe.each(waiterEndings)('%s after a token was handed over, before running again', (ending) => {
      it('Lock: the token goes to the next waiter', async () => {
        const { hub, clock } = makeHub();
        const lock = new Lock(hub);
        expect(successResultOf(lock.acquire())).toBe(true); // held outside any greenlet
        const got: string[] = [];
        const first = spawnWaiter(hub, kind, () => lock.acquire(), () => got.push('first'));
        const second = spawnWaiter(hub, kind, () => lock.acquire(), () => {
          got.push('second');
          lock.release();
        });
        hub.flush();
        expect(hub.stats().parked).toBe(2);
        serveThenEnd(hub, clock, first, ending, () => lock.release());
        expect(hub.stats().parked).toBe(0); // the second waiter was served at once
        hub.flush();
        await second;
        await first.join();
        expect(got).toEqual(['second']);
        expect(lock.locked()).toBe(false);
      });

      it('Lock: the token goes back when nobody else waits', async () => {
        const { hub, clock } = makeHub();
        const lock = new Lock(hub);
        lock.acquire();
        const got: unknown[] = [];
        const only = spawnWaiter(hub, kind, () => lock.acquire(), (v) => got.push(v));
        hub.flush();
        serveThenEnd(hub, clock, only, ending, () => lock.release());
        expect(lock.locked()).toBe(false);
        hub.flush();
        await only.join();
        expect(got).toEqual([]);
        expect(successResultOf(lock.acquire())).toBe(true);
      });

      it('Semaphore: with several waiters, the token passes on in FIFO order', async () => {
        const { hub, clock } = makeHub();
        const s = new Semaphore(0, hub);
        const got: string[] = [];
        const [first, ...rest] = ['first', 'second', 'third', 'fourth'].map((name) =>
          spawnWaiter(hub, kind, () => s.acquire(), () => got.push(name)),
        );
        hub.flush();
        serveThenEnd(hub, clock, first!, ending, () => {
          s.release(); // to 'first'
          s.release(); // to 'second'
        });
        hub.flush();
        await Promise.all([rest[0]!, rest[1]!, first!.join()]);
        expect(got).toEqual(['second', 'third']);
        expect(rest[2]!.dead).toBe(false); // 'fourth' still waits: no token was made
        expect(s.counter).toBe(0);
        s.release();
        hub.flush();
        await rest[2];
        expect(got).toEqual(['second', 'third', 'fourth']);
      });

      it('BoundedSemaphore: the token goes back and the bound still holds', async () => {
        const { hub, clock } = makeHub();
        const s = new BoundedSemaphore(2, hub);
        s.acquire();
        s.acquire();
        const only = spawnWaiter(hub, kind, () => s.acquire(10_000)); // its own timeout must not fire later either
        hub.flush();
        serveThenEnd(hub, clock, only, ending, () => s.release());
        hub.flush();
        await only.join();
        expect(s.counter).toBe(1); // the other token is still held
        clock.advance(20_000);
        expect(s.counter).toBe(1);
        s.release();
        expect(() => s.release()).toThrow(RangeError);
      });
    });
  });

  it('Semaphore.run holds the token from its own callback: killing its greenlet afterwards makes no extra token', () => {
    const { hub } = makeHub();
    const s = new Semaphore(1, hub);
    s.acquire();
    const g = hub.spawn(function* () {
      return (yield s.run(() => 'ran')) as string;
    });
    hub.flush();
    s.release(); // run's callback takes the token, runs, and releases it
    expect(s.counter).toBe(1);
    void g.kill(); // the greenlet had not run again yet
    hub.flush();
    expect(s.counter).toBe(1);
  });
});

describe('BoundedSemaphore', () => {
  it('throws on release past its start value', () => {
    const s = new BoundedSemaphore(1, makeHub().hub);
    expect(() => s.release()).toThrow(RangeError);
  });
});

describe('Lock', () => {
  it('is held by one greenlet at a time, across its switch points', () => {
    const { hub } = makeHub();
    const lock = new Lock(hub);
    const seen: string[] = [];
    const body = function* (name: string) {
      yield lock.acquire();
      try {
        seen.push(`${name} in`);
        yield;
        yield;
        seen.push(`${name} out`);
      } finally {
        lock.release();
      }
    };
    hub.spawn(body, 'a');
    hub.spawn(body, 'b');
    hub.flush();
    expect(seen).toEqual(['a in', 'a out', 'b in', 'b out']);
    expect(lock.locked()).toBe(false);
  });

  it('release when not locked throws', () => {
    expect(() => new Lock(makeHub().hub).release()).toThrow(RangeError);
  });
});

describe('withTimeout()', () => {
  it('fires with the outcome when it comes first', () => {
    const { hub, clock } = makeHub();
    const d = new Deferred<number>();
    const w = withTimeout(d, 10, hub);
    d.callback(3);
    expect(successResultOf(w)).toBe(3);
    expect(clock.getDelayedCalls()).toHaveLength(0);
  });

  it('errbacks with TimeoutError and cancels a Deferred it times out', () => {
    const { hub, clock } = makeHub();
    const d = new Deferred<number>();
    let inner: unknown;
    d.addErrback((f) => {
      inner = f.value;
      return f;
    });
    const w = withTimeout(d, 10, hub);
    clock.advance(10);
    expect(failureResultOf(w).value).toMatchObject({ name: 'TimeoutError' });
    expect(inner).toMatchObject({ name: 'CancelledError' });
  });

  it('kills a greenlet it times out', () => {
    const { hub, clock } = makeHub();
    const g = hub.spawn(function* () {
      yield hub.sleep(100);
    });
    const w = withTimeout(g, 10, hub);
    hub.flush();
    clock.advance(10);
    hub.flush();
    expect(failureResultOf(w).value).toMatchObject({ name: 'TimeoutError' });
    expect(g.dead).toBe(true);
  });

  it('takes effect only at a switch point: a step that overruns finishes first', () => {
    const { hub, clock } = makeHub();
    const seen: string[] = [];
    const g = hub.spawn(function* () {
      seen.push('step 1');
      clock.advance(50); // time passes inside the step (the timer fires, but the greenlet is not interrupted)
      seen.push('still step 1');
      yield;
      seen.push('never');
    });
    const w = withTimeout(g, 10, hub);
    hub.flush();
    expect(seen).toEqual(['step 1', 'still step 1']);
    expect(failureResultOf(w).value).toMatchObject({ name: 'TimeoutError' });
    expect(g.dead).toBe(true);
  });
});
