/**
 * Adversarial tests of when a rule's bulkhead (`maxConcurrent`) gives a place back, on real workers: a thread call
 * cancelled (or timed out) while its task, deaf to its signal, runs on in its worker for `cancelGraceMs` still holds
 * its place until the worker lets go of it (the task ended, or its worker was terminated), while the caller's
 * Deferred fails at once. Without that, more than `maxConcurrent` calls of the rule would hold workers.
 *
 * The task module is written to a temporary directory (workers load JavaScript; the shared fixtures are built by
 * another part of the tree): a task that counts how many of its runs are in their workers at once.
 *
 * @module
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Deferred } from '../../src/deferred/deferred.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask, type Task } from '../../src/task/task.js';
import { Clock } from '../../src/time/clock.js';
import { CancelledError, TimeoutError } from '../../src/errors.js';
import { writeTaskModule, type TempTaskModule } from '../helpers/temp-task-module.js';
import { changed, failureOf, gate, open, reaches, settled, until } from '../threads/thread-test-kit.js';

/**
 * `holdCounted(cells)`: `cells[0]` runs in a worker now, `cells[2]` the most at once, `cells[3]` runs started; holds
 * (no event loop, deaf to cancellation) until `cells[1]` is set, then returns how many ran at once as it started.
 */
const taskSource = `
export function holdCounted(cells) {
  const now = Atomics.add(cells, 0, 1) + 1;
  for (;;) {
    const most = Atomics.load(cells, 2);
    if (now <= most || Atomics.compareExchange(cells, 2, most, now) === most) break;
  }
  Atomics.add(cells, 3, 1);
  Atomics.notify(cells, 3);
  while (Atomics.load(cells, 1) === 0) Atomics.wait(cells, 1, 0);
  Atomics.sub(cells, 0, 1);
  return now;
}
`;

let taskModule: TempTaskModule;
let holdCounted: Task<[Int32Array], number>;

beforeAll(() => {
  taskModule = writeTaskModule('bulkhead-release-', 'hold-counted.mjs', taskSource);
  holdCounted = taskModule.task<[Int32Array], number>('holdCounted');
});

afterAll(() => {
  taskModule.remove();
});

/** A reactor whose one rule lets one `holdCounted` call run at once, with workers to spare and a long grace. */
function reactorWith(clock: Clock, pool?: string): Reactor {
  const threads = { maxThreads: 3, cancelGraceMs: 60_000 };
  return new Reactor({
    clock,
    policy: {
      threads,
      ...(pool === undefined ? {} : { pools: { [pool]: threads } }),
      rules: [{ name: 'one', match: { task: 'holdCounted' }, route: 'thread', maxConcurrent: 1, ...(pool === undefined ? {} : { pool }) }],
    },
  });
}

/**
 * Starts a `holdCounted` call, sends a second (it waits in the bulkhead), cancels the first while its task runs, and
 * checks that the first failed at once while its place is still held (the second still waits).
 */
async function cancelWhileRunning(reactor: Reactor): Promise<{ cells: Int32Array; second: Deferred<number> }> {
  const cells = gate(4);
  const first = reactor.dispatch(holdCounted, cells);
  await reaches(cells, 3, 1);
  const second = reactor.dispatch(holdCounted, cells);
  first.cancel();
  expect(await failureOf(first)).toBeInstanceOf(CancelledError);
  // The first call's task still runs in its worker: the second waits.
  expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 1, waiting: 1 });
  return { cells, second };
}

describe('a thread call that leaves its bulkhead while its task runs on in the worker (deaf to its signal)', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it.each<[string, string | undefined]>([
    ["in the reactor's pool", undefined],
    ['in a named pool', 'heavy'],
  ])('cancelled %s: fails at once with CancelledError and keeps its place until its task ends; the next call then runs alone', async (_where, pool) => {
    const clock = new Clock();
    reactor = reactorWith(clock, pool);
    const { cells, second } = await cancelWhileRunning(reactor);
    open(cells);
    expect(await settled(second)).toEqual({ ok: true, value: 1 });
    expect(Atomics.load(cells, 2)).toBe(1);
    expect(Atomics.load(cells, 3)).toBe(2);
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 0, waiting: 0 });
  });

  it('timed out by its deadline scope: fails at once with TimeoutError and keeps its place until its task ends', async () => {
    const clock = new Clock();
    reactor = reactorWith(clock);
    const cells = gate(4);
    const first = reactor.withDeadline(100, () => reactor.dispatch(holdCounted, cells));
    await reaches(cells, 3, 1);
    const second = reactor.dispatch(holdCounted, cells);
    clock.advance(100);
    expect(await failureOf(first)).toBeInstanceOf(TimeoutError);
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 1, waiting: 1 });
    open(cells);
    expect(await settled(second)).toEqual({ ok: true, value: 1 });
    expect(Atomics.load(cells, 2)).toBe(1);
  });

  it('cancelled, then its worker terminated at the end of the grace: the place comes back with the worker, and the next call runs', async () => {
    const clock = new Clock();
    reactor = reactorWith(clock);
    const { cells, second } = await cancelWhileRunning(reactor);
    clock.advance(60_000); // the grace ends: the worker still running the first task is terminated
    await changed(cells, 3, 1); // the second call started, after the first's worker was gone
    open(cells);
    expect((await settled(second)).ok).toBe(true);
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 0, waiting: 0 });
  });
});

/** Runs held green calls: each waits for `release` (deaf to its kill), counting how many run at once. */
const greenRuns = { now: 0, most: 0, started: 0, release: (): void => undefined };
let releaseGreen: Promise<void> = Promise.resolve();

export const holdGreen = defineTask(import.meta.url, 'holdGreen', async (): Promise<number> => {
  greenRuns.now += 1;
  greenRuns.most = Math.max(greenRuns.most, greenRuns.now);
  greenRuns.started += 1;
  const now = greenRuns.now;
  try {
    await releaseGreen;
  } finally {
    greenRuns.now -= 1;
  }
  return now;
});

describe('a green call that leaves its bulkhead while its greenlet runs on (an async function deaf to its kill)', () => {
  let reactor: Reactor;
  afterEach(async () => {
    greenRuns.release();
    await reactor.stop({ graceMs: 0 });
  });

  it('cancelled: fails at once with CancelledError and keeps its place until its greenlet dies; the next call then runs alone', async () => {
    const clock = new Clock();
    reactor = new Reactor({ clock, policy: { rules: [{ name: 'one', match: { task: 'holdGreen' }, route: 'green', maxConcurrent: 1 }] } });
    Object.assign(greenRuns, { now: 0, most: 0, started: 0 });
    releaseGreen = new Promise<void>((resolve) => {
      greenRuns.release = resolve;
    });
    const first = reactor.dispatch(holdGreen);
    await until(() => greenRuns.started === 1);
    const second = reactor.dispatch(holdGreen);
    first.cancel();
    expect(await failureOf(first)).toBeInstanceOf(CancelledError);
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 1, waiting: 1 });
    greenRuns.release();
    expect(await settled(second)).toEqual({ ok: true, value: 1 });
    expect(greenRuns.most).toBe(1);
  });
});
