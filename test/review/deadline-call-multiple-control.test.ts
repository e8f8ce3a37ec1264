/**
 * `callMultipleInGreenlet` and `callMultipleInThread` inside `reactor.withDeadline` (SPEC §10: everything dispatched
 * inside the scope, on every route, ends with `TimeoutError` when the time left passes, and a call whose deadline
 * passed before it started never runs). The batch is one dispatch: its calls share the caller's deadline.
 *
 * @module
 */
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { TimeoutError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';
import { deadline } from '../../src/worker/index.js';
import * as ctx from '../fixtures/context-tasks.js';
import { settleHub } from '../helpers/settle-hub.js';
import { built, failureOf, gate } from '../threads/thread-test-kit.js';

describe('callMultipleInGreenlet() inside withDeadline', () => {
  let reactor: Reactor;
  let clock: Clock;
  afterEach(async () => {
    clock.advance(60_000); // nothing of the test's own is left on the virtual clock
    await reactor.stop({ graceMs: 0 });
  });

  it('never runs a batch whose deadline passed before it was dispatched: TimeoutError, no call runs', async () => {
    clock = new Clock();
    reactor = new Reactor({ clock });
    const ran: string[] = [];
    const d = reactor.withDeadline(0, () => reactor.callMultipleInGreenlet([[() => ran.push('first')], [() => ran.push('second')]]));
    await settleHub(reactor.hub);
    const error = await failureOf(d);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toContain('withDeadline');
    expect(ran).toEqual([]);
  });

  it('ends with TimeoutError when the deadline passes mid-batch: the running call is killed (its finally runs), the rest never run', async () => {
    clock = new Clock();
    reactor = new Reactor({ clock });
    const hub = reactor.hub;
    const ran: string[] = [];
    const d = reactor.withDeadline(50, () =>
      reactor.callMultipleInGreenlet([
        [() => ran.push('first')],
        [
          function* (): Generator<unknown, void, unknown> {
            ran.push('second started');
            try {
              yield hub.sleep(1_000);
              ran.push('second finished');
            } finally {
              ran.push('second unwound');
            }
          },
        ],
        [() => ran.push('third')],
      ]),
    );
    await settleHub(hub);
    expect(ran).toEqual(['first', 'second started']);
    expect(d.called).toBe(false);
    clock.advance(50);
    await settleHub(hub);
    const error = await failureOf(d);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toContain('withDeadline');
    expect(ran).toEqual(['first', 'second started', 'second unwound']);
  });

  it("lets every call read the batch's deadline with deadline()", async () => {
    clock = new Clock();
    reactor = new Reactor({ clock });
    const before = Date.now();
    const seen: Array<number | undefined> = [];
    const d = reactor.withDeadline(5_000, () => reactor.callMultipleInGreenlet([[() => seen.push(deadline())], [() => seen.push(deadline())]]));
    await settleHub(reactor.hub);
    await d;
    expect(seen[0]).toBeGreaterThanOrEqual(before + 5_000);
    expect(seen[0]).toBeLessThanOrEqual(Date.now() + 5_000);
    expect(seen[1]).toBe(seen[0]);
  });
});

describe('callMultipleInThread() inside withDeadline', () => {
  const pooled = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
  afterAll(() => pooled.stop({ graceMs: 0 }));

  it('never runs a batch whose deadline passed before it was dispatched: TimeoutError, no call runs', async () => {
    const cells = gate(1);
    const batch = [[built(ctx.countRun), cells], [built(ctx.countRun), cells]] as const;
    const error = await failureOf(pooled.withDeadline(0, () => pooled.callMultipleInThread(batch)));
    expect(error).toBeInstanceOf(TimeoutError);
    // The pool's next call is countRun's first run: the refused batch never reached a worker.
    await expect(pooled.deferToThread(built(ctx.countRun), cells).asPromise()).resolves.toBe(1);
  });
});
