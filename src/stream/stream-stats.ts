/**
 * `StreamStats`: per route and task, how many items streams delivered and how long their tasks were blocked in
 * `emit` (SPEC §9: `streamedItems` and `streamBlockedMs` beside each task's figures in `reactor.stats()`).
 *
 * @module
 */

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
  /** Items of streams that ended. */
  items = 0;
  /** Blocked milliseconds of streams that ended. */
  blockedMs = 0;
  /** Streams still running. */
  readonly live = new Set<LiveStream>();

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

/** A reactor's stream counters, per route and task name. */
export class StreamStats {
  readonly #routes: Record<StreamRoute, Map<string, StreamTaskCounters>> = { thread: new Map(), green: new Map() };

  /**
   * The counters of `name` on `route`, made on first use.
   * @param route - where the stream runs (inline streams count as green: in-process).
   * @param name - the task's name.
   * @returns its counters.
   */
  task(route: StreamRoute, name: string): StreamTaskCounters {
    const map = this.#routes[route];
    let counters = map.get(name);
    if (counters === undefined) {
      counters = new StreamTaskCounters();
      map.set(name, counters);
    }
    return counters;
  }

  /**
   * Adds the stream figures of `route` to `tasks` (a task with none yet gets `empty` plus its figures).
   * @param route - the route.
   * @param tasks - the route's per-task stats.
   * @param empty - the figures of a task that has not run on the route yet.
   * @returns `tasks` with the stream figures beside each task's own.
   */
  merge<T extends object>(route: StreamRoute, tasks: Readonly<Record<string, T>>, empty: T): Record<string, T & Partial<StreamTaskStats>> {
    const map = this.#routes[route];
    if (map.size === 0) return tasks;
    const merged: Record<string, T & Partial<StreamTaskStats>> = { ...tasks };
    for (const [name, counters] of map) merged[name] = { ...(tasks[name] ?? empty), ...counters.snapshot() };
    return merged;
  }
}
