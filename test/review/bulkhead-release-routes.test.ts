/**
 * Adversarial tests of when a rule's bulkhead (`maxConcurrent`) gives a place back on the in-process routes: a call
 * cancelled while what it started runs on (a streamed greenlet deaf to its kill, an inline async function whose
 * Promise nothing can stop) fails at once, and keeps its place until that work ends. The bulkhead bounds what runs,
 * not what callers wait for (docs/policies.md, bulkheads).
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask } from '../../src/task/task.js';
import { Clock } from '../../src/time/clock.js';
import { CancelledError } from '../../src/errors.js';
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

function reactorWith(route: 'green' | 'inline'): Reactor {
  return new Reactor({ clock: new Clock(), policy: { rules: [{ name: 'one', match: { task: 'heldAsync' }, route, maxConcurrent: 1 }] } });
}

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
