/**
 * `StreamStats`: per route and task, how many items streams delivered and how long their tasks were blocked in
 * `emit` (SPEC §9: `streamedItems` and `streamBlockedMs` beside each task's figures in `reactor.stats()`).
 *
 * Kept per task id, as the routes' own per-task figures are: two modules may export streaming tasks of the same name.
 *
 * Who writes which field, who reads it, and when (all on the main thread):
 * - {@link StreamStats}'s maps: written only by {@link StreamStats.task}, which `start-task-stream.ts` calls once per
 *   stream as it starts it (a task's counters are made on its first stream and kept for the reactor's life); read by
 *   the reactor's `stats()` through {@link StreamStats.streamed} and {@link StreamStats.merge}.
 * - {@link StreamTaskCounters.live}: a stream (`ThreadStream`, `InProcessStream`) adds itself as it is made and
 *   removes itself through {@link StreamTaskCounters.finish} when it ends (once: a second `finish` finds it gone and
 *   adds nothing). Nothing else writes it.
 * - {@link StreamTaskCounters.items} and `blockedMs` (the totals of ended streams): written only by `finish`, which
 *   moves an ended stream's {@link LiveStream} figures there in the same step that drops it from `live` — so a
 *   stream is counted in `live` or in the totals, never both and never neither; {@link StreamTaskCounters.snapshot}
 *   reads both sides, when `stats()` is called.
 * - A {@link LiveStream}'s figures are its own to write (its items as they are made readable, its blocked time as
 *   its task waits on a full window); the counters only read them.
 *
 * @module
 */
import type { TaskIdentity } from '../task/task.js';
import { byLabel, type TaskFigures } from '../task/task-labels.js';

/** A task's stream figures. */
export interface StreamTaskStats {
  /** Items its streams' tasks emitted (sent to the caller's side). */
  readonly streamedItems: number;
  /** Milliseconds its streams' tasks spent blocked (worker) or parked (greenlet) on a full window, blocks in progress included. */
  readonly streamBlockedMs: number;
}

/** The routes streams run on, for their stats. */
export type StreamRoute = 'thread' | 'green';

/** A stream still running: its items and blocked time so far. */
export interface LiveStream {
  /** Items emitted so far. */
  items(): number;
  /** Milliseconds blocked so far (a block in progress counted up to now). */
  blockedMs(): number;
}

/** One task's counters on one route; a producer holds it for the stream's life. */
export class StreamTaskCounters {
  /** The task counted. */
  readonly task: TaskIdentity;
  /** Items of streams that ended. */
  items = 0;
  /** Blocked milliseconds of streams that ended. */
  blockedMs = 0;
  /** Streams still running. */
  readonly live = new Set<LiveStream>();

  /** @param task - the task counted. */
  constructor(task: TaskIdentity) {
    this.task = task;
  }

  /**
   * Ends a live stream: its items and blocked time move to the totals.
   * @param stream - the stream.
   */
  finish(stream: LiveStream): void {
    if (this.live.delete(stream)) {
      this.items += stream.items();
      this.blockedMs += stream.blockedMs();
    }
  }

  /** @returns the figures now. */
  snapshot(): StreamTaskStats {
    let items = this.items;
    let blocked = this.blockedMs;
    for (const stream of this.live) {
      items += stream.items();
      blocked += stream.blockedMs();
    }
    return { streamedItems: items, streamBlockedMs: blocked };
  }
}

/**
 * A reactor's stream counters, per route and task id; on threads, per pool as well: a stream that ran in one of the
 * policy's named pools (a rule's `pool`) counts in that pool's figures, not in the reactor's own pool's.
 */
export class StreamStats {
  readonly #green = new Map<string, StreamTaskCounters>();
  /** Thread streams' counters per pool: `undefined` is the reactor's own pool, a name one of the policy's `pools`. */
  readonly #threads = new Map<string | undefined, Map<string, StreamTaskCounters>>();

  /**
   * The counters of `task` on `route`, made on first use.
   * @param route - where the stream runs (inline streams count as green: in-process).
   * @param task - the task (its id keys the counters; a plain function's id is its name).
   * @param pool - on threads, the named pool it runs in (`undefined`: the reactor's own pool).
   * @returns its counters.
   */
  task(route: StreamRoute, task: TaskIdentity, pool?: string): StreamTaskCounters {
    let map = this.#tasks(route, pool);
    if (map === undefined) {
      map = new Map();
      this.#threads.set(pool, map);
    }
    let counters = map.get(task.id);
    if (counters === undefined) {
      counters = new StreamTaskCounters({ id: task.id, name: task.name });
      map.set(task.id, counters);
    }
    return counters;
  }

  /**
   * @param route - the route.
   * @param pool - on threads, the named pool (`undefined`: the reactor's own pool).
   * @returns whether a stream ever ran there (else its stats need nothing from {@link StreamStats.merge}).
   */
  streamed(route: StreamRoute, pool?: string): boolean {
    return (this.#tasks(route, pool)?.size ?? 0) > 0;
  }

  /**
   * Adds the stream figures of `route` (on threads, of `pool`) to the entry of the same task id in `tasks` (a task
   * with none yet gets `empty` plus its figures), then labels every entry as `stats()` does ({@link byLabel}): by
   * name, and by module where two tasks share a name.
   * @param route - the route.
   * @param tasks - the route's (the pool's) per-task stats, by task id, unlabelled.
   * @param empty - the figures of a task that has not run there yet.
   * @param pool - on threads, the named pool (`undefined`: the reactor's own pool).
   * @returns the figures, stream figures beside each task's own, under each task's label.
   */
  merge<T extends object>(route: StreamRoute, tasks: ReadonlyMap<string, TaskFigures<T>>, empty: T, pool?: string): Record<string, T & Partial<StreamTaskStats>> {
    const merged = new Map<string, TaskFigures<T & Partial<StreamTaskStats>>>(tasks);
    for (const [id, counters] of this.#tasks(route, pool) ?? []) {
      const own = tasks.get(id);
      merged.set(id, { task: own?.task ?? counters.task, figures: { ...(own?.figures ?? empty), ...counters.snapshot() } });
    }
    return byLabel(merged);
  }

  /** The counters of `route` (on threads, of `pool`), if a stream ever ran there. */
  #tasks(route: StreamRoute, pool: string | undefined): Map<string, StreamTaskCounters> | undefined {
    return route === 'green' ? this.#green : this.#threads.get(pool);
  }
}
