/**
 * Adversarial tests of what the crash budget (`adaptive.crashBudget`, SPEC §7) counts when a thread call was cancelled
 * or timed out while its task, deaf to its signal, ran on in its worker (within `cancelGraceMs`), on real workers.
 *
 * What it should count (SPEC §5, §7): a worker that dies on its own while it runs such a task (the task exits, throws
 * past its handler, runs out of memory) was crashed by that task: the budget counts "worker crashes", and a caller's
 * cancel does not make the task's crash someone else's. A worker the cancellation ladder terminates after
 * `cancelGraceMs` did not crash: the library killed it (SPEC §5 "its worker is terminated and replaced"), so that is
 * not counted.
 *
 * The task module is written to a temporary directory (workers load JavaScript): `holdThenExit(cells)` counts its
 * runs in `cells[0]`, holds (deaf to cancellation) until `cells[1]` is set, then exits its worker when `cells[2]` is
 * 1, or returns its run count when it is 0.
 *
 * @module
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Policy } from '../../src/policy/policy.js';
import { Reactor } from '../../src/reactor/reactor.js';
import type { Task } from '../../src/task/task.js';
import { Clock } from '../../src/time/clock.js';
import { CancelledError, TimeoutError, WorkerCrashedError } from '../../src/errors.js';
import { writeTaskModule, type TempTaskModule } from '../helpers/temp-task-module.js';
import { changed, failureOf, gate, open, reaches, settled } from '../threads/thread-test-kit.js';

const taskSource = `
export function holdThenExit(cells) {
  Atomics.add(cells, 0, 1);
  Atomics.notify(cells, 0);
  while (Atomics.load(cells, 1) === 0) Atomics.wait(cells, 1, 0);
  if (Atomics.load(cells, 2) === 1) process.exit(3);
  return Atomics.load(cells, 0);
}
`;

let taskModule: TempTaskModule;
let holdThenExit: Task<[Int32Array], number>;

beforeAll(() => {
  taskModule = writeTaskModule('crash-budget-cancelled-', 'hold-then-exit.mjs', taskSource);
  holdThenExit = taskModule.task<[Int32Array], number>('holdThenExit');
});

afterAll(() => {
  taskModule.remove();
});

/** A reactor whose budget allows one crash of `holdThenExit`, with workers to spare and a long cancel grace. */
function reactorWith(clock: Clock): Reactor {
  return new Reactor({
    clock,
    policy: {
      threads: { maxThreads: 2, cancelGraceMs: 60_000 },
      rules: [{ match: { task: 'holdThenExit' }, route: 'thread' }],
      adaptive: { crashBudget: { crashes: 1, windowMs: 600_000, then: 'fail' } },
    },
  });
}

describe('adaptive.crashBudget and a call that failed while its task ran on in its worker', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it.each<[string, 'cancel' | 'timeout']>([
    ['cancelled', 'cancel'],
    ['timed out by its deadline scope', 'timeout'],
  ])('%s, its task then crashing its worker within the grace: the crash counts, and the call held back meanwhile never reaches a worker', async (_how, how) => {
    const clock = new Clock();
    reactor = reactorWith(clock);
    const cells = gate(3);
    Atomics.store(cells, 2, 1); // the task exits its worker once released
    const first = how === 'cancel' ? reactor.dispatch(holdThenExit, cells) : reactor.withDeadline(100, () => reactor.dispatch(holdThenExit, cells));
    await reaches(cells, 0, 1);
    const second = reactor.dispatch(holdThenExit, cells); // held back: the unproven task has one crash left
    if (how === 'cancel') first.cancel();
    else clock.advance(100);
    expect(await failureOf(first)).toBeInstanceOf(how === 'cancel' ? CancelledError : TimeoutError);
    open(cells); // the first task exits its worker, 60 s before its grace would end
    const error = await failureOf(second);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as Error).message).toContain('was not sent to a worker');
    expect(Atomics.load(cells, 0)).toBe(1);
    expect(reactor.explain(holdThenExit, cells).reason).toContain('crash budget spent: 1 worker crash');
  });

  it('cancelled, its worker then terminated by the ladder at the end of the grace: not a crash of the task, and the call held back runs', async () => {
    const clock = new Clock();
    reactor = reactorWith(clock);
    const cells = gate(3);
    const first = reactor.dispatch(holdThenExit, cells);
    await reaches(cells, 0, 1);
    const second = reactor.dispatch(holdThenExit, cells);
    first.cancel();
    expect(await failureOf(first)).toBeInstanceOf(CancelledError);
    clock.advance(60_000); // the grace ends: the worker still running the first task is terminated
    await changed(cells, 0, 1); // the second call reached a worker
    open(cells);
    expect(await settled(second)).toEqual({ ok: true, value: 2 });
    expect(reactor.explain(holdThenExit, cells).reason).not.toContain('crash budget spent');
  });
});

describe('adaptive.crashBudget and a named pool closing under a call cancelled while its task ran on', () => {
  it.each<[string, string | undefined]>([
    ['a named pool', 'side'],
    ["the reactor's pool", undefined],
  ])("%s: stop() terminating the worker is not a crash of the task (another reactor sharing the policy still sends it to a worker)", async (_where, pool) => {
    // One Policy, two reactors: crashes are the policy's record, so the second reactor reads what the first one's
    // stop() counted (and has no stop of its own in the way).
    const policy = Policy.load({
      threads: { maxThreads: 1, cancelGraceMs: 60_000 },
      ...(pool === undefined ? {} : { pools: { [pool]: { maxThreads: 1, cancelGraceMs: 60_000 } } }),
      rules: [{ match: { task: 'holdThenExit' }, route: 'thread', ...(pool === undefined ? {} : { pool }) }],
      adaptive: { crashBudget: { crashes: 1, windowMs: 600_000, then: 'fail' } },
    });
    const closing = new Reactor({ clock: new Clock(), policy });
    const other = new Reactor({ clock: new Clock(), policy });
    const cells = gate(3);
    try {
      const first = closing.dispatch(holdThenExit, cells);
      await reaches(cells, 0, 1);
      first.cancel(); // its task runs on, deaf, for up to the 60 s grace
      expect(await failureOf(first)).toBeInstanceOf(CancelledError);
      await closing.stop({ graceMs: 0 }); // the pool closes and terminates the worker still running it
      expect(other.explain(holdThenExit, cells).reason).not.toContain('crash budget spent');
      open(cells);
      expect(await settled(other.dispatch(holdThenExit, cells))).toEqual({ ok: true, value: 2 });
    } finally {
      open(cells);
      await Promise.all([closing.stop({ graceMs: 0 }), other.stop({ graceMs: 0 })]);
    }
  });
});
