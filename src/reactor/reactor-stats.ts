/**
 * `ReactorStats`: what `reactor.stats()` reports.
 *
 * @module
 */
import type { HubStats } from '../green/hub.js';
import type { ThreadPoolStats, ThreadTaskStats } from '../threads/thread-pool-stats.js';
import type { TaskStepStats } from '../green/step-stats.js';
import type { StreamTaskStats } from '../stream/stream-stats.js';
import type { PolicyDispatchStats } from '../policy/policy-dispatcher.js';
import type { RemoteStats } from './remote-backend.js';

/** Event-loop delay over the recent window, in milliseconds (from `perf_hooks.monitorEventLoopDelay`). */
export interface EventLoopDelayStats {
  /** Median delay (ms). */
  p50: number;
  /** 99th-percentile delay (ms). */
  p99: number;
  /** Largest delay seen (ms). */
  max: number;
}

/**
 * A snapshot of a reactor's load, for dashboards, the policy's `loopDelayMs` rules and the benchmarks.
 *
 * Sampling starts on the first `stats()` call (or `run()`), so the first snapshot of a reactor may read 0.
 * Each path adds its own part in the marked place below.
 */
export interface ReactorStats {
  /** Event-loop delay p50/p99/max over the recent window. */
  eventLoopDelay: EventLoopDelayStats;
  // --- threads --- (thread path: pool utilisation, queue depth, per-task counts and run/wait p50/p99)
  /** The thread pool: counts, queue depth, utilisation, per-task wait/run p50/p99. */
  threads: ThreadPoolStats & { readonly tasks: Readonly<Record<string, ThreadTaskStats & Partial<StreamTaskStats>>> };
  /**
   * The policy's named thread pools (`pools`), by name, each like `threads` (a stream that ran in a pool adds its
   * figures to that pool's entry of its task); present when it declares some.
   */
  pools?: Record<string, ReactorStats['threads']>;
  // --- green --- (green path: hub ready/parked/switches/blocked steps, per-task counts and run/wait p50/p99)
  /** The green hub: spawned/live/ready/parked greenlets, switches, blocked steps, slices, per-task step p50/p99. */
  green: HubStats & { tasks: Record<string, TaskStepStats & Partial<StreamTaskStats>> };
  // --- policy --- (policy: per-route counts and decisions)
  /** The policy: its source and rules, dispatches per route and per rule, what `auto` learned per task. */
  policy: PolicyDispatchStats;
  // --- remote --- (remote route: present when the reactor has a remote backend)
  /** The remote backend: calls, outcomes, wait/run p50/p99, results the reconcile poll recovered. */
  remote?: RemoteStats;
}
