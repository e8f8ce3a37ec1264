/**
 * Adversarial tests of when a rule's bulkhead (`maxConcurrent`) gives a place back on the in-process routes: a call
 * cancelled while what it started runs on (a streamed greenlet deaf to its kill, an inline async function whose
 * Promise nothing can stop, what an inline generator waited on: a Promise, a greenlet deaf to its kill) fails at once,
 * and keeps its place until that work ends. The bulkhead bounds what runs, not what callers wait for
 * (docs/policies.md, bulkheads).
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask, taskFrom } from '../../src/task/task.js';
import { Clock } from '../../src/time/clock.js';
import { Deferred } from '../../src/deferred/deferred.js';
import { succeed } from '../../src/deferred/succeed.js';
import { CancelledError, ReactorStoppedError, TimeoutError } from '../../src/errors.js';
import { failureOf, settled, until } from '../threads/thread-test-kit.js';

/** Counts the runs of the held tasks below that are under way, the most at once, and the runs started. */
const runs = { now: 0, most: 0, started: 0 };
let release: () => void = () => undefined;
let released: Promise<void> = Promise.resolve();

function resetRuns(): void {
  Object.assign(runs, { now: 0, most: 0, started: 0 });
  released = new Promise<void>((resolve) => {
    release = resolve;
  });
}

/** Runs until `release` (an await nothing can interrupt), counting. */
async function held(): Promise<number> {
  runs.now += 1;
  runs.most = Math.max(runs.most, runs.now);
  runs.started += 1;
  const now = runs.now;
  try {
    await released;
  } finally {
    runs.now -= 1;
  }
  return now;
}

export const heldAsync = defineTask(import.meta.url, 'heldAsync', held);

/** A generator that waits on the held run it started. */
function* heldInGenerator(): Generator<unknown, number, unknown> {
  return (yield held()) as number;
}

/** A generator that waits on the held run it started, then on an already fired Deferred (two waits). */
function* heldThenMore(): Generator<unknown, number, unknown> {
  const now = (yield held()) as number;
  yield Deferred.fromPromise(Promise.resolve());
  return now;
}

export const heldGenerator = defineTask(import.meta.url, 'heldGenerator', heldInGenerator);

/** The same functions as plain exports, for `taskFrom` tasks (imported on their first call, after dispatch returned). */
export const heldLazily = held;
export const heldLazilyInGenerator = heldInGenerator;
const heldImported = taskFrom(import.meta.url, 'heldLazily');
const heldImportedGenerator = taskFrom(import.meta.url, 'heldLazilyInGenerator');
export const heldTwoWaits = defineTask(import.meta.url, 'heldTwoWaits', heldThenMore);

function reactorWith(route: 'green' | 'inline', clock = new Clock(), timeoutMs?: number): Reactor {
  const rule = { name: 'one', match: { task: 'held*' }, route, maxConcurrent: 1, ...(timeoutMs === undefined ? {} : { timeoutMs }) };
  return new Reactor({ clock, policy: { rules: [rule] } });
}

/** What an inline call of each kind below runs, given its reactor (plain functions are matched by their names). */
const inlineCalls: Record<string, (r: Reactor) => (() => unknown) | typeof heldGenerator | typeof heldImported> = {
  'a generator waiting on a Promise': () => heldGenerator,
  'a generator with waits left': () => heldTwoWaits,
  'a generator waiting on a greenlet deaf to its kill': (r) =>
    function* heldViaGreenlet(): Generator<unknown, number, unknown> {
      return (yield r.deferToGreenlet(held)) as number;
    },
  'a taskFrom task (imported on its first call) returning a Promise': () => heldImported,
  'a taskFrom task (imported on its first call) returning a generator waiting on a Promise': () => heldImportedGenerator,
  'a function returning a Deferred of its own making, no canceller, fired by its maker when the work ends': () =>
    function heldOwnDeferred(): Deferred<number> {
      const d = new Deferred<number>();
      void held().then((n) => d.callback(n)); // after a cancel, this one late callback is ignored (SPEC §1)
      return d;
    },
  'a generator waiting on a Deferred of its own making, no canceller': () =>
    function* heldOwnDeferredInGenerator(): Generator<unknown, number, unknown> {
      const d = new Deferred<number>();
      void held().then((n) => d.callback(n));
      return (yield d) as number;
    },
  'a function returning a fired Deferred of its own making whose callback waits on an inner one, no canceller': () =>
    function heldOwnChain(): Deferred<number> {
      const inner = new Deferred<number>();
      void held().then((n) => inner.callback(n)); // after a cancel, this one late callback is ignored (SPEC §1)
      return succeed(0).addCallback(() => inner);
    },
  'a function returning a fired Deferred of its own making whose callback waits on a chain of two, no canceller': () =>
    function heldOwnChainOfTwo(): Deferred<number> {
      const inner = new Deferred<number>();
      void held().then((n) => inner.callback(n));
      const middle = succeed(0).addCallback(() => inner);
      return succeed(0).addCallback(() => middle);
    },
  'a function returning a fired Deferred whose callback waits on a Promise': () =>
    function heldOwnChainOnPromise(): Deferred<number> {
      return succeed(0).addCallback(() => held());
    },
  'a generator waiting on a fired Deferred of its own making whose callback waits on an inner one, no canceller': () =>
    function* heldOwnChainInGenerator(): Generator<unknown, number, unknown> {
      const inner = new Deferred<number>();
      void held().then((n) => inner.callback(n));
      return (yield succeed(0).addCallback(() => inner)) as number;
    },
  'a generator waiting on a fired Deferred whose callback waits on a Promise': () =>
    function* heldOwnChainOnPromiseInGenerator(): Generator<unknown, number, unknown> {
      return (yield succeed(0).addCallback(() => held())) as number;
    },
  "a function returning a greenlet's Deferred as it is": (r) =>
    function heldGreenlet(): unknown {
      return r.deferToGreenlet(held);
    },
};

describe('a call that leaves its bulkhead while what it started runs on in-process', () => {
  let reactor: Reactor;
  afterEach(async () => {
    release();
    await reactor.stop({ graceMs: 0 });
  });

  it.each<['green' | 'inline', 'dispatch' | 'stream']>([
    ['inline', 'dispatch'],
    ['inline', 'stream'],
    ['green', 'stream'],
  ])('on the %s route (%s), cancelled: fails at once with CancelledError and keeps its place until its run ends', async (route, how) => {
    reactor = reactorWith(route);
    resetRuns();
    const call = (): { result: ReturnType<Reactor['dispatch']>; cancel: () => void } => {
      if (how === 'dispatch') {
        const d = reactor.dispatch(heldAsync);
        return { result: d, cancel: () => d.cancel() };
      }
      const s = reactor.stream(heldAsync);
      return { result: s.result, cancel: () => s.cancel() };
    };
    const first = call();
    await until(() => runs.started === 1);
    const second = call();
    first.cancel();
    expect(await failureOf(first.result)).toBeInstanceOf(CancelledError);
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 1, waiting: 1 });
    release();
    expect(await settled(second.result)).toEqual({ ok: true, value: 1 });
    expect(runs.most).toBe(1);
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 0, waiting: 0 });
  });
});

describe('an inline call in a bulkhead whose function returned a generator or a route\'s Deferred', () => {
  let reactor: Reactor;
  afterEach(async () => {
    release();
    await reactor.stop({ graceMs: 0 });
  });

  it.each(Object.keys(inlineCalls))('%s, cancelled: fails at once with CancelledError and keeps its place until what it started ends', async (kind) => {
    reactor = reactorWith('inline');
    resetRuns();
    const target = inlineCalls[kind]!(reactor) as () => unknown;
    const first = reactor.dispatch(target);
    await until(() => runs.started === 1);
    const second = reactor.dispatch(target);
    first.cancel();
    expect(await failureOf(first)).toBeInstanceOf(CancelledError);
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 1, waiting: 1 });
    expect(runs.started).toBe(1);
    release();
    expect(await settled(second)).toEqual({ ok: true, value: 1 });
    expect(runs.most).toBe(1);
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 0, waiting: 0 });
  });

  it("a generator waiting on a Promise, timed out by its rule's timeoutMs: TimeoutError at once, its place kept until the Promise settles", async () => {
    const clock = new Clock();
    reactor = reactorWith('inline', clock, 100);
    resetRuns();
    const first = reactor.dispatch(heldGenerator);
    await until(() => runs.started === 1);
    clock.advance(100);
    expect(await failureOf(first)).toBeInstanceOf(TimeoutError);
    const second = reactor.dispatch(heldGenerator); // after the first's timeout: its own 100 ms never pass
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 1, waiting: 1 });
    release();
    expect(await settled(second)).toEqual({ ok: true, value: 1 });
    expect(runs.most).toBe(1);
  });

  it('a generator that ends normally frees its place at once (nothing of it runs on)', async () => {
    reactor = reactorWith('inline');
    resetRuns();
    release();
    expect(await settled(reactor.dispatch(heldGenerator))).toEqual({ ok: true, value: 1 });
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 0, waiting: 0 });
  });
});

describe('an inline stream in a bulkhead whose function returned a generator, or ran once its module was imported', () => {
  let reactor: Reactor;
  afterEach(async () => {
    release();
    await reactor.stop({ graceMs: 0 });
  });

  it.each([
    'a generator waiting on a Promise',
    'a generator with waits left',
    'a generator waiting on a greenlet deaf to its kill',
    'a taskFrom task (imported on its first call) returning a Promise',
    'a taskFrom task (imported on its first call) returning a generator waiting on a Promise',
  ])(
    '%s, cancelled: fails at once with CancelledError and keeps its place until what it waited on ends',
    async (kind) => {
      reactor = reactorWith('inline');
      resetRuns();
      const target = inlineCalls[kind]!(reactor) as () => unknown;
      const first = reactor.stream(target);
      await until(() => runs.started === 1);
      const second = reactor.stream(target);
      first.cancel();
      expect(await failureOf(first.result)).toBeInstanceOf(CancelledError);
      expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 1, waiting: 1 });
      expect(runs.started).toBe(1);
      release();
      expect(await settled(second.result)).toEqual({ ok: true, value: 1 });
      expect(runs.most).toBe(1);
      expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 0, waiting: 0 });
    },
  );
});

describe('a bulkhead holding the place of a cancelled Deferred of its own making (no canceller) that never fires', () => {
  it('stop() still ends: the waiting call errbacks ReactorStoppedError, and the place stays held until then', async () => {
    const reactor = reactorWith('inline');
    const first = reactor.dispatch(function heldForever(): Deferred<number> {
      return new Deferred<number>(); // its maker never fires it: its work never ends
    });
    const second = reactor.dispatch(function heldNext(): number {
      return 2;
    });
    first.cancel();
    expect(await failureOf(first)).toBeInstanceOf(CancelledError);
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 1, waiting: 1 });
    await reactor.stop({ graceMs: 0 });
    expect(await failureOf(second)).toBeInstanceOf(ReactorStoppedError);
  });
});
