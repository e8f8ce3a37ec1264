/**
 * Counters and time histograms of a remote backend, behind `reactor.stats().remote`.
 *
 * @module
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { RemotePercentiles, RemoteStats } from '../reactor/remote-backend.js';

function percentiles(h: RecordableHistogram): RemotePercentiles {
  // Recorded in microseconds (histograms take integers ≥ 1); reported in ms.
  return h.count === 0 ? { p50: 0, p99: 0 } : { p50: h.percentile(50) / 1000, p99: h.percentile(99) / 1000 };
}

/** Mutable counters a backend updates as calls settle. */
export class RemoteCounters {
  calls = 0;
  completed = 0;
  failed = 0;
  cancelled = 0;
  timedOut = 0;
  crashed = 0;
  retried = 0;
  reconciled = 0;
  readonly #wait = createHistogram();
  readonly #run = createHistogram();
  readonly #lag = createHistogram();

  /**
   * Records a host's times for one job.
   * @param waitMs - from dispatch to start.
   * @param runMs - the run.
   */
  time(waitMs: number, runMs: number): void {
    this.#wait.record(Math.max(1, Math.round(waitMs * 1000)));
    this.#run.record(Math.max(1, Math.round(runMs * 1000)));
  }

  /**
   * Records how late the reconcile poll delivered a result.
   * @param lagMs - from the job's end on its host to delivery.
   */
  reconciledLate(lagMs: number): void {
    this.reconciled++;
    this.#lag.record(Math.max(1, Math.round(lagMs * 1000)));
  }

  /**
   * @param engine - the engine's name.
   * @param inFlight - calls not settled yet.
   * @returns the snapshot.
   */
  snapshot(engine: string, inFlight: number): RemoteStats {
    return {
      engine,
      calls: this.calls,
      completed: this.completed,
      failed: this.failed,
      cancelled: this.cancelled,
      timedOut: this.timedOut,
      crashed: this.crashed,
      retried: this.retried,
      inFlight,
      reconciled: this.reconciled,
      waitMs: percentiles(this.#wait),
      runMs: percentiles(this.#run),
      reconcileLagMs: { ...percentiles(this.#lag), max: this.#lag.count === 0 ? 0 : this.#lag.max / 1000 },
    };
  }
}
