/**
 * Adversarial tests of a rule's bulkhead (`maxConcurrent`) on the remote route: a remote call cancelled (or timed out)
 * fails at once, but its job may run on its host until its answer comes. A backend that says so
 * (`RemoteBackend.whenJobEnds`) has the call keep its place until then (SPEC §7: at most N at a time); one that does
 * not, or whose answer is unusable (a throw, `ended` called from inside the question, `ended` called twice), never
 * holds a place for ever nor frees one twice.
 *
 * The backend here is an in-process host: each job runs until the test ends it, as a BullMQ host's job runs until it
 * finishes or its abort is heard (the BullMQ backend has its own tests).
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { CancelledError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import type { RemoteBackend, RemoteStats } from '../../src/reactor/remote-backend.js';
import { defineTask, type Task } from '../../src/task/task.js';
import { failureOf, settled } from '../threads/thread-test-kit.js';

export const remoteHeld = defineTask(import.meta.url, 'remoteHeld', (n: number) => n);

/** One job on the in-process host: the caller's Deferred, and who waits for the job's end. */
interface Job {
  readonly d: Deferred<unknown>;
  readonly arg: unknown;
  running: boolean;
  readonly ended: Array<() => void>;
}

/** How a backend answers `whenJobEnds` (the last three: answers the reactor must survive). */
type Answer = 'honest' | 'absent' | 'throws' | 'ends-inside' | 'ends-twice';

/** A remote backend whose jobs run until `finish` ends them; a cancel errbacks the call at once, the job runs on. */
class HeldJobsBackend implements RemoteBackend {
  readonly engine = 'held-jobs';
  readonly jobs: Job[] = [];
  declare whenJobEnds?: (d: Deferred<unknown>, ended: () => void) => boolean;

  constructor(answer: Answer) {
    if (answer === 'absent') return;
    this.whenJobEnds = (d, ended) => {
      if (answer === 'throws') throw new Error('whenJobEnds broke');
      const job = this.jobs.find((j) => j.d === d);
      if (job === undefined || !job.running) return false;
      if (answer === 'ends-inside') {
        ended();
        return true;
      }
      job.ended.push(ended);
      if (answer === 'ends-twice') job.ended.push(ended);
      return true;
    };
  }

  call(_task: Task, args: readonly unknown[]): Deferred<unknown> {
    // The canceller tells the host to abort (a real backend's does); the job runs on until the host hears it.
    const job: Job = { d: new Deferred<unknown>(() => undefined), arg: args[0], running: true, ended: [] };
    this.jobs.push(job);
    return job.d;
  }

  /** The host finished job `i`: its answer comes (the caller's Deferred fires if nobody cancelled it). */
  finish(i: number): void {
    const job = this.jobs[i]!;
    job.running = false;
    if (!job.d.called) job.d.callback(job.arg);
    for (const ended of job.ended.splice(0)) ended();
  }

  stats(): RemoteStats {
    const [zero, calls] = [{ p50: 0, p99: 0 }, this.jobs.length];
    const counters = { completed: 0, failed: 0, cancelled: 0, timedOut: 0, crashed: 0, retried: 0, inFlight: 0, reconciled: 0 };
    return { engine: this.engine, calls, ...counters, waitMs: zero, runMs: zero, reconcileLagMs: { ...zero, max: 0 }, tasks: {} };
  }

  close(): Promise<void> {
    for (let i = 0; i < this.jobs.length; i++) if (this.jobs[i]!.running) this.finish(i);
    return Promise.resolve();
  }
}

function reactorWith(backend: RemoteBackend, maxConcurrent = 1): Reactor {
  return new Reactor({ remote: backend, policy: { rules: [{ name: 'one', match: { task: 'remoteHeld' }, route: 'remote', maxConcurrent }] } });
}

describe('a remote call that leaves its bulkhead while its job runs on', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it("cancelled, on a backend with whenJobEnds: fails at once with CancelledError and keeps its place until the job's answer", async () => {
    const backend = new HeldJobsBackend('honest');
    reactor = reactorWith(backend);
    const first = reactor.dispatch(remoteHeld, 1);
    const second = reactor.dispatch(remoteHeld, 2);
    first.cancel();
    expect(await failureOf(first)).toBeInstanceOf(CancelledError);
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 1, waiting: 1 });
    expect(backend.jobs).toHaveLength(1);
    backend.finish(0);
    expect(backend.jobs).toHaveLength(2);
    backend.finish(1);
    expect(await settled(second)).toEqual({ ok: true, value: 2 });
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 0, waiting: 0 });
  });

  it.each<Answer>(['absent', 'throws', 'ends-inside'])(
    'cancelled, on a backend whose whenJobEnds is %s: frees its place as its Deferred fails, nothing thrown to the caller',
    async (answer) => {
      const backend = new HeldJobsBackend(answer);
      reactor = reactorWith(backend);
      const first = reactor.dispatch(remoteHeld, 1);
      const second = reactor.dispatch(remoteHeld, 2);
      first.cancel();
      expect(await failureOf(first)).toBeInstanceOf(CancelledError);
      expect(backend.jobs).toHaveLength(2);
      backend.finish(1);
      expect(await settled(second)).toEqual({ ok: true, value: 2 });
      expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 0, waiting: 0 });
    },
  );

  it('cancelled, on a backend that calls ended twice: the place frees once (the limit still holds for the calls after)', async () => {
    const backend = new HeldJobsBackend('ends-twice');
    reactor = reactorWith(backend, 2);
    const first = reactor.dispatch(remoteHeld, 1);
    const second = reactor.dispatch(remoteHeld, 2);
    const third = reactor.dispatch(remoteHeld, 3);
    const fourth = reactor.dispatch(remoteHeld, 4);
    first.cancel();
    await failureOf(first);
    expect(backend.jobs).toHaveLength(2);
    backend.finish(0); // ended twice: one place, so only the third starts
    expect(backend.jobs).toHaveLength(3);
    expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 2, waiting: 1 });
    backend.finish(1);
    backend.finish(2);
    backend.finish(3);
    expect((await Promise.all([second, third, fourth].map(settled))).map((o) => o.ok)).toEqual([true, true, true]);
  });
});
