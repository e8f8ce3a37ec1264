/**
 * `AbandonedJobs`: the caller's jobs whose call ended (cancelled, timed out, stopped, Redis out of reach) while the
 * job itself may still run on a host, until the job's end is known — and who waits for that end.
 *
 * Why: a call's Deferred fails at once, but its job runs on its host until the abort is heard there. A rule's
 * bulkhead (`maxConcurrent`, SPEC §7) keeps the call's place until then, through `RemoteBackend.whenJobEnds`; this
 * is what answers it.
 *
 * Contract with the backend (`bullmq-backend.ts`, the state they share): the backend calls {@link AbandonedJobs.abandon}
 * as it aborts an ended call's job (before the call's Deferred fails, so the reactor's question finds it),
 * {@link AbandonedJobs.added} once such a job's add resolved, and {@link AbandonedJobs.over} once the job's end is
 * known: its removal succeeded (it never ran, or had ended), its completion or failure event came, the reconcile poll
 * read it finished or vanished, its add never happened or failed, or the backend closed (it gave up on it). Each
 * waiter is called once, after the question returned (never from inside it).
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';

/** An abandoned job: whether its add resolved (only then can the reconcile poll read it), and who waits for its end. */
interface AbandonedJob {
  added: boolean;
  readonly waiters: Array<() => void>;
}

/** The abandoned jobs of one backend (see the module's contract). */
export class AbandonedJobs {
  readonly #jobs = new Map<string, AbandonedJob>();
  readonly #byDeferred = new WeakMap<Deferred<unknown>, string>();
  readonly #report: (error: unknown) => void;

  /**
   * @param report - where a waiter's throw goes (the backend's `onError`): a waiter is the reactor's, called from Redis
   *   replies and timers, where a throw would end the process.
   */
  constructor(report: (error: unknown) => void) {
    this.#report = report;
  }

  /**
   * Job `jobId`, of the call whose Deferred is `d`, may run on without its call.
   * @param jobId - the job.
   * @param d - its call's Deferred.
   * @param added - whether its add resolved.
   */
  abandon(jobId: string, d: Deferred<unknown>, added: boolean): void {
    this.#jobs.set(jobId, { added, waiters: [] });
    this.#byDeferred.set(d, jobId);
  }

  /** Whether job `jobId` is abandoned and its end unknown. */
  has(jobId: string): boolean {
    return this.#jobs.has(jobId);
  }

  /** Job `jobId`'s add resolved after its call ended. */
  added(jobId: string): void {
    const job = this.#jobs.get(jobId);
    if (job !== undefined) job.added = true;
  }

  /** The abandoned jobs whose add resolved (the reconcile poll reads their state). */
  addedIds(): string[] {
    return [...this.#jobs].filter(([, job]) => job.added).map(([id]) => id);
  }

  /**
   * Calls `ended` once the job behind `d` ended, if it is abandoned and its end unknown (`RemoteBackend.whenJobEnds`).
   * @param d - a failed Deferred of a call.
   * @param ended - called once, later.
   * @returns whether `ended` will be called.
   */
  whenEnds(d: Deferred<unknown>, ended: () => void): boolean {
    const jobId = this.#byDeferred.get(d);
    const job = jobId === undefined ? undefined : this.#jobs.get(jobId);
    if (job === undefined) return false;
    job.waiters.push(ended);
    return true;
  }

  /** Job `jobId`'s end is known: its waiters are called, and it is forgotten. */
  over(jobId: string): void {
    const job = this.#jobs.get(jobId);
    if (job === undefined) return;
    this.#jobs.delete(jobId);
    for (const ended of job.waiters) {
      try {
        ended();
      } catch (error) {
        this.#report(error);
      }
    }
  }

  /** The backend closed: it gives up on every abandoned job (their waiters are called). */
  overAll(): void {
    for (const jobId of [...this.#jobs.keys()]) this.over(jobId);
  }
}
