/**
 * Pins the one Piscina behaviour worker recycling relies on that Piscina does not document (see
 * src/threads/worker-lifecycle.ts and docs/threads.md): `piscina.options` is the live options object whose
 * `maxThreads` Piscina reads each time it decides whether to start a worker, so raising it by one lets Piscina start
 * a replacement beside a worker that no longer takes tasks, and lowering it back stops further starts. Piscina's
 * documentation calls `options` "a copy" and offers no way to grow a pool at run time; if an upgrade changes this,
 * these tests fail first (and recycling's replacement-first start fails with them).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Piscina } from 'piscina';

const filename = new URL('../../dist/test/fixtures/piscina-thread-id.cjs', import.meta.url).href;

interface View {
  readonly id: number;
  readonly currentUsage: number;
}

describe('Piscina (as worker recycling uses it)', () => {
  let piscina: Piscina;
  afterEach(async () => {
    await piscina.destroy();
    piscina.emitDestroy(); // Piscina never ends its async resource (as ThreadPool.close() does)
  });

  /** A pool of at most one worker whose balancer places tasks only on workers not `closed`. */
  function poolOfOne(closed: Set<number>): { created: View[] } {
    const created: View[] = [];
    piscina = new Piscina({
      filename,
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      loadBalancer: (_task, workers) => workers.find((w) => !closed.has(w.id) && w.currentUsage === 0) ?? null,
    });
    piscina.on('workerCreate', (view: View) => created.push(view));
    return { created };
  }

  /** Runs a task with its rejection handled (a task still queued when the test fails is rejected by destroy()). */
  function runTask(): Promise<number> {
    const result = piscina.run(null) as Promise<number>;
    result.catch(() => undefined);
    return result;
  }

  it('starts one worker more once options.maxThreads is raised, beside a worker that takes no task', async () => {
    const closed = new Set<number>();
    const { created } = poolOfOne(closed);
    const first = await runTask();
    expect(created).toHaveLength(1);
    closed.add(created[0]!.id); // the only worker takes no task any more (as a retiring one)
    piscina.options.maxThreads++;
    expect(piscina.maxThreads).toBe(2); // the getter reads the same live object
    const second = runTask(); // refused by the balancer: Piscina starts a worker for it, within run()
    expect(piscina.threads).toHaveLength(2);
    expect(await second).not.toBe(first);
    expect(created).toHaveLength(2);
  });

  it('starts no worker past options.maxThreads, also once it was lowered again: a task nobody takes waits', async () => {
    const closed = new Set<number>();
    const { created } = poolOfOne(closed);
    await runTask();
    closed.add(created[0]!.id);
    const waiting = runTask();
    expect(piscina.threads).toHaveLength(1); // at the limit: no worker started, the task waits in Piscina's queue
    expect(piscina.queueSize).toBe(1);
    piscina.options.maxThreads++;
    await Promise.all([waiting, runTask()]); // the next task Piscina cannot place starts a worker, which takes both
    expect(created).toHaveLength(2);
    piscina.options.maxThreads--; // the closed worker left (as recycling lowers it back)
    closed.add(created[1]!.id);
    void runTask(); // nobody takes it: destroy() rejects it (handled)
    expect(piscina.threads).toHaveLength(2); // two workers, limit one: none started
    expect(piscina.queueSize).toBe(1);
  });
});
