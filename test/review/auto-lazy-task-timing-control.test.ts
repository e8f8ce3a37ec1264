/**
 * `auto` times the in-process runs of a `taskFrom` task (its function imported on each call, run once the import
 * settles): a run that holds the loop past `blockingThresholdMs` sends the task to threads for good, as for a task
 * whose function is known at dispatch (SPEC §7). Time is the reactor's injected `now`, advanced by the task itself.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask, taskFrom } from '../../src/task/task.js';
import { Clock } from '../../src/time/clock.js';

/** The wall time the reactor times inline runs with: a run of `stall(ms)` takes `ms` of it. */
let wall = 0;

/** Takes `ms` of wall time (the injected one), synchronously: a run that holds the loop that long. */
export function stallLazily(ms: number): number {
  wall += ms;
  return ms;
}

/** The same function known at dispatch (a `defineTask`), for comparison. */
export const stallNow = defineTask(import.meta.url, 'stallNow', stallLazily, { kind: 'io' });

describe("auto's timing of an inline run", () => {
  let reactor: Reactor;
  afterEach(() => reactor.stop({ graceMs: 0 }));

  it.each([
    ['a taskFrom task (imported on each call)', () => taskFrom(import.meta.url, 'stallLazily', { kind: 'io' })],
    ['a defineTask task', () => stallNow],
  ])('%s: fast runs stay inline; a run over blockingThresholdMs sends it to threads, and explain() says why', async (_kind, make) => {
    const task = make();
    // A window of 50 in-process runs: each of the first 50 is timed (past it, a random one in 16 is).
    reactor = new Reactor({ clock: new Clock(), now: () => wall, policy: { adaptive: { sampleSize: 50 } } });
    for (let i = 0; i < 30; i++) expect(await reactor.dispatch(task, 0)).toBe(0);
    expect(reactor.explain(task, [0]).route).toBe('inline');
    expect(await reactor.dispatch(task, 50)).toBe(50);
    const decision = reactor.explain(task, [0]);
    expect(decision.route).toBe('thread');
    expect(decision.reason).toContain('50 ms');
  });
});
