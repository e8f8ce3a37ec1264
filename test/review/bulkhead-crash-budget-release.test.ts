/**
 * Adversarial tests of a call that passes both a rule's bulkhead (`maxConcurrent`) and the crash budget's gate
 * (`adaptive.crashBudget`), on real workers: when it is cancelled while its task, deaf to its signal, runs on in its
 * worker, each gate keeps its place until the worker lets go of the task, and each gets that place back then. One
 * gate's hold must not take the other's: a place never given back bounds every later call of the task for ever.
 *
 * The task module is written to a temporary directory (workers load JavaScript): `holdRun(cells, release)` counts its runs
 * in `cells[0]` (and notifies), holds (deaf to cancellation) until `cells[release]` is set, and returns its run count.
 *
 * @module
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import type { Task } from '../../src/task/task.js';
import { Clock } from '../../src/time/clock.js';
import { CancelledError } from '../../src/errors.js';
import { writeTaskModule, type TempTaskModule } from '../helpers/temp-task-module.js';
import { failureOf, gate, open, reaches, settled } from '../threads/thread-test-kit.js';

const taskSource = `
export function holdRun(cells, release) {
  const run = Atomics.add(cells, 0, 1) + 1;
  Atomics.notify(cells, 0);
  while (Atomics.load(cells, release) === 0) Atomics.wait(cells, release, 0);
  return run;
}
`;

let taskModule: TempTaskModule;
let holdRun: Task<[Int32Array, number, string?], number>;

beforeAll(() => {
  taskModule = writeTaskModule('bulkhead-crash-budget-', 'hold-run.mjs', taskSource);
  holdRun = taskModule.task<[Int32Array, number, string?], number>('holdRun');
});

afterAll(() => {
  taskModule.remove();
});

/** Budget: one crash of `holdRun`, so while it is unproven one call of it is in the pool at a time. */
const crashBudget = { crashes: 1, windowMs: 600_000, then: 'fail' } as const;
const threads = { maxThreads: 3, cancelGraceMs: 60_000 };

describe('a thread call through a bulkhead and the crash budget, cancelled while its task runs on in its worker', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it('admitted at once by both: both gates get its place back once its task ends, and the next call runs', async () => {
    reactor = new Reactor({
      clock: new Clock(),
      policy: { threads, rules: [{ name: 'one', match: { task: 'holdRun' }, route: 'thread', maxConcurrent: 1 }], adaptive: { crashBudget } },
    });
    const cells = gate(4);
    const first = reactor.dispatch(holdRun, cells, 2);
    await reaches(cells, 0, 1);
    first.cancel();
    expect(await failureOf(first)).toBeInstanceOf(CancelledError);
    const next = reactor.dispatch(holdRun, cells, 3);
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 1, waiting: 1 });
    open(cells, 2); // the first task ends: its worker lets go of it
    await reaches(cells, 0, 2); // the next call reached a worker: neither gate kept the first call's place
    open(cells, 3);
    expect(await settled(next)).toEqual({ ok: true, value: 2 });
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 0, waiting: 0 });
  });

  it('that first waited in the crash budget: its bulkhead keeps its place until its task ends', async () => {
    reactor = new Reactor({
      clock: new Clock(),
      policy: {
        threads,
        rules: [
          // Calls with a long third argument pass no bulkhead (they still pass the crash budget).
          { name: 'free', match: { task: 'holdRun', argBytes: { gt: 1_000 } }, route: 'thread' },
          { name: 'one', match: { task: 'holdRun' }, route: 'thread', maxConcurrent: 1 },
        ],
        adaptive: { crashBudget },
      },
    });
    const cells = gate(5);
    const ahead = reactor.dispatch(holdRun, cells, 2, 'x'.repeat(2_000)); // takes the budget's one place
    await reaches(cells, 0, 1);
    const first = reactor.dispatch(holdRun, cells, 3); // passes its bulkhead, waits in the budget's gate
    open(cells, 2); // the ahead call ends (the task proves itself): the first call goes to the pool
    expect(await ahead).toBe(1);
    await reaches(cells, 0, 2);
    first.cancel(); // its task holds on in its worker
    expect(await failureOf(first)).toBeInstanceOf(CancelledError);
    const next = reactor.dispatch(holdRun, cells, 4);
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 1, waiting: 1 });
    open(cells, 3);
    await reaches(cells, 0, 3);
    open(cells, 4);
    expect(await settled(next)).toEqual({ ok: true, value: 3 });
  });
});
