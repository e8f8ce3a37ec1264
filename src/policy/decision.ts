/**
 * The types a routing decision is made of: what the policy decides, what it is told about the task,
 * and what it is told about the reactor's load.
 *
 * @module
 */
import type { Kind, Route } from '../task/task.js';

/** A route a decision resolves to (`auto` is always resolved, and never to `remote`). */
export type DecidedRoute = 'thread' | 'green' | 'inline' | 'remote';

/**
 * Where one call runs, and why.
 *
 * Returned by `policy.decide` and `reactor.explain`; logged per dispatch on the debug channel.
 */
export interface Decision {
  /** The path the call takes. */
  readonly route: DecidedRoute;
  /** Why, for a person: "rule 'images' matched task 'resize'", "auto: green step took 37 ms > 20 ms". */
  readonly reason: string;
  /** The matching rule's `name`, or `rules[i]` when unnamed; absent when no rule matched. */
  readonly rule?: string;
  /** The matching rule's `timeoutMs`, which `dispatch` applies on top of the task's own. */
  readonly timeoutMs?: number;
  /** On threads: the named pool (under `pools`) the matching rule sends the call to; absent: the reactor's pool. */
  readonly pool?: string;
  /** The matching rule's bulkhead: most calls of its tasks in flight at once (the excess waits in order). */
  readonly maxConcurrent?: number;
  /** On threads: `false` when the matching rule says its calls are never coalesced (each travels alone). */
  readonly coalesce?: false;
  /** The matching rule's `streamWindow`, which `reactor.stream` uses over the task's own. */
  readonly streamWindow?: number;
  /**
   * Set when the task's `adaptive.crashBudget` is spent and says `'fail'`: `dispatch` errbacks `WorkerCrashedError`
   * at once instead of starting another worker (the reason says why).
   */
  readonly crashBudgetSpent?: true;
}

/**
 * What the reactor is doing right now, as the rules' dynamic conditions see it.
 *
 * Fields are read only when a rule needs them, so a caller may pass getters that measure lazily.
 */
export interface DispatchLoad {
  /** Tasks waiting for a worker in the thread pool. */
  readonly threadQueue: number;
  /** Event-loop delay p99 (ms) over the rolling window. */
  readonly loopDelayMs: number;
}

/**
 * A task as the policy sees it, for deciding without the task object (the CLI's `policy explain`).
 */
export interface TaskDescriptor {
  /** The task's name (its export name). */
  readonly name: string;
  /** Its declared kind. */
  readonly kind?: Kind | undefined;
  /** The route it asks for. */
  readonly route?: Route | undefined;
  /** True for a plain function rather than a Task: it can only run in-process. */
  readonly plain?: boolean | undefined;
  /** True for a generator or async function: in-process it runs on a greenlet rather than inline. */
  readonly async?: boolean | undefined;
}

/** {@link DispatchLoad} plus a known argument size, for {@link TaskDescriptor} decisions. */
export interface DescriptorLoad extends Partial<DispatchLoad> {
  /** The arguments' estimated size in bytes (default 0). */
  readonly argBytes?: number | undefined;
}
