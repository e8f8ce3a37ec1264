import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';
import { CancelledError, ReactorStoppedError } from '../../src/errors.js';
import { defineTask, type Task } from '../../src/task/task.js';
import { emit, progress } from '../../src/worker/index.js';
import * as fx from '../fixtures/stream-tasks.js';
import { built, failureOf, until } from '../threads/thread-test-kit.js';
import { drain } from './stream-test-kit.js';

/** What a green task did, for the tests to look at. */
const seen = { returned: 0, finallyRan: false };

const greenCounter = defineTask(
  import.meta.url,
  'greenCounter',
  function* (n: number): Generator<unknown, number, unknown> {
    seen.returned = 0;
    seen.finallyRan = false;
    try {
      for (let i = 0; i < n; i++) {
        yield emit(i);
        seen.returned = i + 1;
      }
      return n;
    } finally {
      seen.finallyRan = true;
    }
  },
  { route: 'green', streamWindow: 4 },
);

const greenNoYield = defineTask(
  import.meta.url,
  'greenNoYield',
  (n: number): number => {
    for (let i = 0; i < n; i++) emit(i); // never yields the waitable: never blocked, its items buffer
    return n;
  },
  { route: 'green', streamWindow: 2 },
);

const inlineProgress = defineTask(
  import.meta.url,
  'inlineProgress',
  (n: number): number => {
    for (let i = 1; i <= n; i++) progress(i);
    return n;
  },
  { route: 'inline' },
);

const greenThrows = defineTask(
  import.meta.url,
  'greenThrows',
  function* (n: number): Generator<unknown, never, unknown> {
    for (let i = 0; i < n; i++) yield emit(i);
    throw new RangeError(`failed after ${n} items`);
  },
  { route: 'green' },
);

describe('reactor.stream() in-process (green and inline routes)', () => {
  let reactor: Reactor;
  let clock: Clock;
  /** The reactor's wall time (blocked time is measured on it). */
  let wall = 0;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  function make(): void {
    clock = new Clock();
    wall = 0;
    reactor = new Reactor({ clock, now: () => wall, policy: { threads: { maxThreads: 1 } } });
  }

  it.each([
    ['thread', fx.squaresThread],
    ['green', fx.squaresGreen],
    ['inline', fx.squaresInline],
  ])('streams the same items from the same task on the %s route', async (route, task) => {
    make();
    expect(reactor.explain(task, 10).route).toBe(route);
    const s = reactor.stream(route === 'thread' ? built(task) : task, 10);
    expect(await drain(s)).toEqual([0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    expect(await s.result).toBe('squares(10)');
  });

  it('parks a greenlet that yields emit after exactly streamWindow items, and resumes it as the consumer reads', async () => {
    make();
    const s = reactor.stream(greenCounter, 10);
    const it = s[Symbol.asyncIterator]();
    await until(() => seen.returned === 4 && reactor.hub.stats().parked > 0);
    expect(seen.returned).toBe(4);
    wall += 7;
    expect(reactor.stats().green.tasks.greenCounter!.streamBlockedMs).toBe(7);
    expect(await it.next()).toEqual({ value: 0, done: false });
    await until(() => seen.returned === 5);
    const rest: unknown[] = [];
    for (let r = await it.next(); r.done !== true; r = await it.next()) rest.push(r.value);
    expect(rest).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await s.result).toBe(10);
    const stats = reactor.stats().green.tasks.greenCounter!;
    expect(stats.streamedItems).toBe(10);
    expect(stats.streamBlockedMs).toBe(7);
  });

  it('never blocks a greenlet that does not yield emit: its items buffer, in order', async () => {
    make();
    const s = reactor.stream(greenNoYield, 50);
    expect(await s.result).toBe(50);
    expect(await drain(s)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('kills the greenlet at its next switch when the consumer breaks out', async () => {
    make();
    const s = reactor.stream(greenCounter, 1000);
    for await (const item of s) if (item === 1) break;
    expect(await failureOf(s.result)).toBeInstanceOf(CancelledError);
    await until(() => seen.finallyRan);
    expect(seen.returned).toBeLessThan(1000);
  });

  it('throws the task error after the items emitted before it', async () => {
    make();
    const s = reactor.stream(greenThrows, 3);
    const items: unknown[] = [];
    await expect(
      (async () => {
        for await (const item of s) items.push(item);
      })(),
    ).rejects.toBeInstanceOf(RangeError);
    expect(items).toEqual([0, 1, 2]);
    expect(await failureOf(s.result)).toBeInstanceOf(RangeError);
  });

  it('delivers the first progress value at once and the last before the result, coalescing the rest', async () => {
    make();
    const seenProgress: unknown[] = [];
    const s = reactor.stream(inlineProgress, 1000);
    // Inline: the task ran inside stream(); its values were delivered before any listener could subscribe.
    s.onProgress((value) => seenProgress.push(value));
    expect(await s.result).toBe(1000);
    expect(seenProgress).toEqual([]);
    const fn = defineTask(import.meta.url, 'greenProgress', function* (n: number): Generator<unknown, number, unknown> {
      for (let i = 1; i <= n; i++) progress(i);
      yield undefined;
      progress(n + 1);
      return n;
    }, { route: 'green' });
    const g = reactor.stream(fn, 1000);
    g.onProgress((value) => seenProgress.push(value));
    expect(await g.result).toBe(1000);
    expect(seenProgress).toEqual([1, 1001]);
  });

  it('discards emit and progress outside a stream', async () => {
    make();
    expect(emit('x')).toBeUndefined();
    expect(() => progress(1)).not.toThrow();
    expect(await reactor.dispatch(greenCounter, 3)).toBe(3);
  });

  it('gives a failed stream for bad input and a stopped reactor, never a throw', async () => {
    make();
    const bad = reactor.stream(42 as unknown as Task);
    await expect(drain(bad)).rejects.toBeInstanceOf(TypeError);
    expect(await failureOf(bad.result)).toBeInstanceOf(TypeError);
    await reactor.stop();
    const late = reactor.stream(greenCounter, 1);
    expect(await failureOf(late.result)).toBeInstanceOf(ReactorStoppedError);
  });
});
