import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { Clock } from '../../src/time/clock.js';
import { Failure, type ErrorType } from '../../src/deferred/failure.js';
import { CancelledError, TimeoutError, WorkerCrashedError } from '../../src/errors.js';
import * as fx from '../fixtures/thread-tasks.js';
import { built, until, watchUnhandled } from './thread-test-kit.js';

type Kind = 'ok' | 'throw' | 'crash' | 'cancel' | 'timeout';

const expectedClass: Record<Exclude<Kind, 'ok'>, ErrorType> = {
  throw: RangeError,
  crash: WorkerCrashedError,
  cancel: CancelledError,
  timeout: TimeoutError,
};

const expected: Record<Kind, string> = {
  ok: 'value',
  throw: 'RangeError',
  crash: 'WorkerCrashedError',
  cancel: 'CancelledError',
  timeout: 'TimeoutError',
};

/** A deterministic mix: 10% throw, 1% crash, 5% cancelled, 2% time out, the rest succeed. */
function kindOf(i: number): Kind {
  const r = (i * 7919) % 100;
  if (r < 10) return 'throw';
  if (r < 11) return 'crash';
  if (r < 16) return 'cancel';
  if (r < 18) return 'timeout';
  return 'ok';
}

describe('ThreadPool fault soak', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  it('fires every Deferred exactly once with the right outcome, reports nothing unhandled, and shrinks back to minThreads', async () => {
    const total = 2000;
    const clock = new Clock();
    // Told on each worker's exit, so the test waits for the pool to shrink on the event, not on the wall clock.
    let onWorkerExit = (): void => undefined;
    pool = new ThreadPool(
      { minThreads: 1, maxThreads: 2, idleTimeoutMs: 20, cancelGraceMs: 5, clock },
      { onWorkerExit: () => onWorkerExit() },
    );
    const watch = watchUnhandled();
    try {
      const task = built(fx.soak);
      const spin = { ...task, options: { timeoutMs: 10 } } as typeof task;
      const firings = new Array<number>(total).fill(0);
      const outcomes = new Array<string>(total).fill('pending');
      // No reference to the Deferreds is kept: once fired and collected, an unhandled failure among them is reported.
      for (let i = 0; i < total; i++) {
        const kind = kindOf(i);
        const d =
          kind === 'timeout'
            ? pool.run(spin, 'spin', i)
            : pool.run(task, kind === 'cancel' ? 'ok' : kind === 'ok' ? 'ok' : kind, i);
        d.addBoth((result: unknown) => {
          firings[i]!++;
          outcomes[i] = result instanceof Failure ? String((result.value as Error).name) : result === i ? 'value' : `wrong ${String(result)}`;
          return result; // not consumed here
        });
        // Handle exactly the expected failure; any other stays unhandled and is reported once collected.
        if (kind !== 'ok') {
          d.addErrback((f) => {
            f.trap(expectedClass[kind]);
          });
        }
        if (kind === 'cancel') d.cancel();
      }
      // Timeouts need the pool clock to move: one step per event-loop turn until every Deferred fired. No turn
      // limit (the workers' pace decides, however loaded the machine): the test's timeout is the only bound.
      await until(() => {
        clock.advance(10);
        return firings.every((n) => n > 0);
      }, Number.POSITIVE_INFINITY);
      // Let the cancelled and timed-out tasks' late replies arrive: a final round trip goes behind them.
      await until(() => {
        clock.advance(10);
        return pool.stats().inFlight === 0;
      }, Number.POSITIVE_INFINITY);
      expect(firings.every((n) => n === 1)).toBe(true);
      for (let i = 0; i < total; i++) expect(`${i}:${outcomes[i]!}`).toBe(`${i}:${expected[kindOf(i)]}`);
      const stats = pool.stats();
      expect(stats.cancelled).toBe(outcomes.filter((o) => o === 'CancelledError').length);
      expect(stats.timedOut).toBe(outcomes.filter((o) => o === 'TimeoutError').length);
      expect(stats.crashed).toBe(outcomes.filter((o) => o === 'WorkerCrashedError').length);
      // Idle workers above minThreads leave after idleTimeoutMs (Piscina's timer): wait for the exits themselves.
      await new Promise<void>((resolve) => {
        onWorkerExit = () => {
          if (pool.stats().threads <= 1) resolve();
        };
        onWorkerExit();
      });
      expect(pool.stats().threads).toBe(1);
      await watch.settle(); // every Deferred is unreachable now: their unhandled failures, if any, are reported
      expect(watch.reported.map((f) => f.getErrorMessage())).toEqual([]);
      expect(watch.escaped).toEqual([]);
    } finally {
      watch.stop();
    }
  }, 180_000);
});
