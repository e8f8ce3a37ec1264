/**
 * Counters and time histograms of a remote backend, behind `reactor.stats().remote`.
 *
 * The thread pool's counters (`ThreadPoolCounters`) with what only the remote route has: calls made, results the
 * reconcile poll recovered and how late, and every task's times together. One definition of an outcome counter and
 * of a percentile, whichever route counts.
 *
 * @module
 */
import type { RemoteStats } from '../reactor/remote-backend.js';
import { ThreadPoolCounters, type Percentiles } from '../threads/thread-pool-stats.js';

const none: Percentiles = Object.freeze({ p50: 0, p99: 0 });

/** Mutable counters a backend updates as calls settle. */
export class RemoteCounters extends ThreadPoolCounters {
  calls = 0;
  reconciled = 0;
  /** Every task's times under one name, for the route's overall percentiles. */
  readonly #all = new ThreadPoolCounters();
  /** Reconcile lags, recorded as run times. */
  readonly #lag = new ThreadPoolCounters();
  #lagMaxMs = 0;

  /**
   * Records a host's times for one job of task `id` (named `name`): kept per id, as the thread pool's, so that two
   * modules' tasks of the same name keep a record each.
   * @param name - the task's name.
   * @param waitMs - from dispatch to start.
   * @param runMs - the run.
   * @param id - the task's id (`moduleUrl#exportName`).
   */
  override time(name: string, waitMs: number, runMs: number, id: string): void {
    super.time(name, waitMs, runMs, id);
    this.#all.time('all', waitMs, runMs);
  }

  /**
   * Records how late the reconcile poll delivered a result.
   * @param lagMs - from the job's end on its host to delivery.
   */
  reconciledLate(lagMs: number): void {
    this.reconciled++;
    this.#lag.time('lag', 0, lagMs);
    this.#lagMaxMs = Math.max(this.#lagMaxMs, lagMs);
  }

  /**
   * @param engine - the engine's name.
   * @param inFlight - calls not settled yet.
   * @returns the snapshot.
   */
  remoteSnapshot(engine: string, inFlight: number): RemoteStats {
    const { completed, failed, cancelled, timedOut, crashed, retried, tasks } = this.snapshot({ inFlight, queueDepth: 0, threads: 0, utilisation: 0 });
    const all = this.#all.task('all');
    const lag = this.#lag.task('lag');
    return {
      engine,
      calls: this.calls,
      completed,
      failed,
      cancelled,
      timedOut,
      crashed,
      retried,
      inFlight,
      reconciled: this.reconciled,
      waitMs: all?.waitMs ?? none,
      runMs: all?.runMs ?? none,
      reconcileLagMs: { ...(lag?.runMs ?? none), max: this.#lagMaxMs },
      tasks,
    };
  }
}
