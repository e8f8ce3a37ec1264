/**
 * `ReconcilePoll`: the caller's backstop for lost BullMQ events — every `periodMs`, asks Redis which pending jobs
 * finished or vanished, and settles their calls.
 *
 * Why: BullMQ's event stream can lose completion events (taskforcesh/bullmq#2517; the stream is also trimmed), so
 * events are only the fast path, never the only one (SPEC §11: each Deferred fires exactly once even when the
 * engine's events are lost).
 *
 * Contract with the backend (the state they share): the backend owns the calls; the poll only reads them through
 * {@link ReconcileSubject} (and tells it which abandoned jobs ended, for `RemoteBackend.whenJobEnds`) and settles a
 * call through the call's own methods (`settle`, `failedOnHost`, `lost`),
 * which ignore an outcome for a call already settled or for an earlier attempt's job — so an event and the poll
 * delivering the same outcome is harmless. The backend calls {@link ReconcilePoll.arm} whenever a job's add
 * resolved, and {@link ReconcilePoll.stop} once closing; a pass in flight is one of the backend's chores (its close
 * waits for it). One pass at a time; the next is armed when one ends, while jobs are enqueued and the backend is not
 * closing.
 *
 * @module
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { realTimeScheduler } from '../time/real-time-scheduler.js';
import type { DelayedCall } from '../time/scheduler.js';
import { readJobStates, type JobState } from './job-states.js';
import type { RemoteCall } from './remote-call.js';
import { isRemoteOutcome } from './remote-wire.js';

/** What the poll reads of the backend (see the module's contract). */
export interface ReconcileSubject {
  /** The queue's name (for messages). */
  readonly queueName: string;
  /** The queue and its client, once the backend connected. */
  engine(): { readonly queue: Queue; readonly queueClient: Redis } | undefined;
  /** The jobs whose add resolved and whose call is still pending. */
  enqueued(): ReadonlySet<string>;
  /** The jobs whose add resolved and whose call ended while they may still run (see `AbandonedJobs`). */
  abandoned(): readonly string[];
  /** Abandoned job `jobId` ended: `finished` (it may be removed), or vanished. */
  abandonedEnded(jobId: string, finished: boolean): void;
  /** The pending call of job `jobId`, if any. */
  callOf(jobId: string): RemoteCall | undefined;
  /** Tracks a promise the backend's close must wait for. */
  chore(p: Promise<unknown>): void;
  /** Whether the backend is closing. */
  closing(): boolean;
}

/** The reconcile poll of one backend. */
export class ReconcilePoll {
  readonly #periodMs: number;
  readonly #subject: ReconcileSubject;
  #timer: DelayedCall | undefined;
  #running = false;

  /**
   * @param periodMs - the backend's `reconcileMs`.
   * @param subject - the backend.
   */
  constructor(periodMs: number, subject: ReconcileSubject) {
    this.#periodMs = periodMs;
    this.#subject = subject;
  }

  /** Schedules a pass `periodMs` from now, unless one is scheduled or running, or no job is enqueued or abandoned. */
  arm(): void {
    if (this.#timer !== undefined || this.#running || (this.#subject.enqueued().size === 0 && this.#subject.abandoned().length === 0)) return;
    this.#timer = realTimeScheduler.callLater(this.#periodMs, () => {
      this.#timer = undefined;
      this.#running = true;
      this.#subject.chore(
        this.#pass().finally(() => {
          this.#running = false;
          if (!this.#subject.closing()) this.arm();
        }),
      );
    });
  }

  /** Cancels the scheduled pass (a running one ends by itself, and arms nothing once the backend is closing). */
  stop(): void {
    if (this.#timer !== undefined) {
      this.#timer.cancel();
      this.#timer = undefined;
    }
  }

  /**
   * Asks Redis which pending jobs finished or vanished (one script call per chunk, see `readJobStates`), then reads
   * only the finished ones and settles their calls. A pass that cannot reach Redis does nothing: the next one asks
   * again (the reachability watch decides when pending calls give up).
   */
  async #pass(): Promise<void> {
    const engine = this.#subject.engine();
    if (engine === undefined) return;
    const { queue, queueClient } = engine;
    const queueName = this.#subject.queueName;
    const ids = [...this.#subject.enqueued()];
    const abandoned = this.#subject.abandoned();
    let states: JobState[];
    try {
      states = await readJobStates(queueClient, [...ids, ...abandoned].map((id) => queue.toKey(id)));
    } catch {
      return;
    }
    // Abandoned jobs: only whether they ended matters (nobody reads their outcome).
    abandoned.forEach((id, i) => {
      const state = states[ids.length + i];
      if (state !== 'unfinished') this.#subject.abandonedEnded(id, state === 'finished');
    });
    const finished: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (states[i] === 'finished') finished.push(id);
      else if (states[i] === 'vanished') this.#subject.callOf(id)?.lost(id, queueName);
    }
    const jobs = await Promise.all(finished.map((id) => queue.getJob(id).catch(() => null)));
    for (let i = 0; i < finished.length; i++) {
      const id = finished[i]!;
      const job = jobs[i];
      const call = this.#subject.callOf(id);
      if (call === undefined || job === null) continue;
      if (job === undefined) {
        call.lost(id, queueName);
        continue;
      }
      if (job.finishedOn === undefined) continue;
      const outcome = job.returnvalue as unknown;
      if (job.failedReason !== undefined && job.failedReason !== '' && !isRemoteOutcome(outcome)) call.failedOnHost(id, String(job.failedReason));
      else call.settle(id, outcome, { reconciledJobEndedAt: job.finishedOn });
    }
  }
}
