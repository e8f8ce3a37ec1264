import { afterEach, describe, expect, it } from '@jest/globals';
import { createHook } from 'node:async_hooks';
import { writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerCrashedError } from '../../src/errors.js';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { crashWithHeldExit } from '../fixtures/thread-review-tasks.js';
import { built, failureOf, gate } from '../threads/thread-test-kit.js';

/**
 * Every worker thread started in this process from now on, and a promise of its exit. Node's worker handle (the
 * async resource of type `WORKER`) calls its `onexit` property as the thread has stopped, before the `Worker` emits
 * `'exit'` (Piscina's listener, which may start a replacement, runs inside that call): wrapped once the `Worker`
 * set it (a microtask after the handle was made), it tells when the thread exited and Piscina has reacted.
 */
function watchWorkers(): { started: () => number; exitOfAll: (count: number) => Promise<void>; stop: () => void } {
  const exits: Array<Promise<void>> = [];
  const hook = createHook({
    init(_id, type, _trigger, resource) {
      if (type !== 'WORKER') return;
      exits.push(
        new Promise<void>((resolve) => {
          queueMicrotask(() => {
            const handle = resource as { onexit: (...args: unknown[]) => unknown };
            const original = handle.onexit;
            handle.onexit = function (this: unknown, ...args: unknown[]): unknown {
              try {
                return original.apply(this, args);
              } finally {
                resolve();
              }
            };
          });
        }),
      );
    },
  });
  hook.enable();
  return {
    started: () => exits.length,
    exitOfAll: (count) => Promise.all(exits.slice(0, count)).then(() => undefined),
    stop: () => hook.disable(),
  };
}

describe('ThreadPool.close() and workers that exit after it', () => {
  let pool: ThreadPool | undefined;
  const flags: string[] = [];
  afterEach(async () => {
    for (const flag of flags.splice(0)) writeFileSync(flag, ''); // a worker still held lets go (then removed below)
    await pool?.close();
    pool = undefined;
  });

  it('starts no worker once closed, when a worker that crashed before the close exits after it', async () => {
    const watch = watchWorkers();
    const flag = join(tmpdir(), `greenreactor-held-exit-${process.pid}-${Date.now()}`);
    flags.push(flag);
    try {
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1 }, { onError: () => undefined });
      const error = await failureOf(pool.run(built(crashWithHeldExit), flag, gate(1)));
      expect(error).toBeInstanceOf(WorkerCrashedError);
      await pool.close(); // the crashed worker has not exited yet: its exit handler waits for the flag
      const before = watch.started();
      writeFileSync(flag, '');
      await watch.exitOfAll(before); // every worker of the pool has exited, and Piscina has seen each exit
      expect(watch.started()).toBe(before); // no worker was started after close()
      expect(pool.stats().threads).toBe(0);
    } finally {
      watch.stop();
      rmSync(flag, { force: true });
    }
  }, 60_000);
});
