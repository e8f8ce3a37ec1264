/**
 * Bulkheads: a rule's `maxConcurrent` (SPEC §7) — most calls of its tasks in flight at once on its route.
 *
 * Why: one kind of work must not take every worker (or flood the hub) while another kind waits; Twisted's and
 * crochet's users build this by hand with a `DeferredSemaphore` per kind. Here a rule says it, and every call the
 * rule decides passes its gate: up to `maxConcurrent` run, the excess waits FIFO (each call keeping its own
 * Deferred, cancellable while it waits, its task's `timeoutMs` counted from dispatch). On threads the waiting
 * calls count toward the pool's `maxQueue` (with those the pool queues itself), and a call that would go past it
 * errbacks `QueueFullError` at once. A call cancelled or timed out fails at once but keeps its place while what it
 * started runs on (a thread task deaf to its signal, until it ends or its worker is killed after `cancelGraceMs`; a
 * killed greenlet until it dies; an inline async function until its Promise settles, see `inline-runs.ts`). One gate per rule label; a reload that changes `maxConcurrent` applies at once
 * (waiting calls start if it grew); a reload that removes the rule, or its `maxConcurrent`, retires its bulkhead: it
 * bounds nothing, `stats()` lists it as `retired` while calls it let in run on, and forgets it once they ended. A thread or remote call that has to wait keeps its caller's dispatch site,
 * captured as it waits (SPEC §4: an error's stack names where the caller sent it, not the library code that
 * released it later); calls admitted at once capture nothing here.
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';
import { DispatchSites, type DispatchSite } from '../dispatch-site.js';
import { fail } from '../deferred/fail.js';
import { QueueFullError } from '../errors.js';
import { isTask, type Task } from '../task/task.js';
import { targetName } from '../task/target-name.js';
import type { Scheduler } from '../time/scheduler.js';
import { AdmissionGate, type RunsOn, type StartCall } from './admission-gate.js';
import type { DecidedRoute, Decision } from './decision.js';
import { armQueuedDeadline } from './queued-deadline.js';

/** One call a rule decided: what runs, where, with what. */
export interface RoutedCall {
  /** The Task or function. */
  readonly target: Task | ((...args: unknown[]) => unknown);
  /** The decision (its `rule`, `maxConcurrent`, route and pool). */
  readonly decision: Decision;
  /** The arguments. */
  readonly args: unknown[];
  /** Where the caller dispatched it, when it had to wait (thread and remote routes); sent with it when it starts. */
  readonly site?: DispatchSite;
}

/**
 * How many frames a waiting call's site keeps: past the dispatcher's and the reactor's frames to the caller's
 * (the printed site starts at the public entry, see `describeDispatchSite`).
 */
const siteFrames = 10;

/** The queue a thread pool has now and the most it takes (`threads.maxQueue`, or the named pool's). */
export interface PoolCapacity {
  /** Calls waiting for a worker in the pool now. */
  readonly queueDepth: number;
  /** The pool's `maxQueue` (Infinity: unbounded). */
  readonly maxQueue: number;
}

/** One rule's bulkhead, as `stats().policy.bulkheads` shows it. */
export interface BulkheadStats {
  /** The rule's `maxConcurrent` (retired: the last one it set, which bounds nothing now). */
  maxConcurrent: number;
  /** Its calls in flight now. */
  inFlight: number;
  /** Its calls waiting for a place. */
  waiting: number;
  /** The route of its latest call. */
  route: DecidedRoute;
  /** The named pool of its latest thread call, if any. */
  pool?: string;
  /**
   * Present (true) when a reload removed the rule or its `maxConcurrent`: the bulkhead bounds nothing and is listed
   * only while calls it let in run on.
   */
  retired?: true;
}

interface Entry {
  readonly gate: AdmissionGate<RoutedCall>;
  /** The rule's limit; while `retired`, the last one it set (the gate then admits every call). */
  max: number;
  retired: boolean;
  route: DecidedRoute;
  pool: string | undefined;
}

/** The bulkheads of every rule that sets `maxConcurrent`, by rule label. */
export class Bulkheads {
  readonly #clock: Scheduler;
  readonly #runsOn: RunsOn | undefined;
  readonly #entries = new Map<string, Entry>();
  /** Sites of waiting calls, shared by the calls of one task held in one synchronous run of dispatches. */
  readonly #sites = new DispatchSites(siteFrames);

  /**
   * @param clock - the reactor's clock (a waiting task's `timeoutMs` counts on it).
   * @param runsOn - whether a failed call's work still runs on its route (see `AdmissionGateOptions.runsOn`); absent,
   *   a place frees as its call's Deferred fires.
   */
  constructor(clock: Scheduler, runsOn?: RunsOn) {
    this.#clock = clock;
    this.#runsOn = runsOn;
  }

  /**
   * Runs a call through its rule's bulkhead: now if there is room, else when a place frees.
   * @param call - the call; `call.decision` has `rule` and `maxConcurrent`.
   * @param start - starts it on its route.
   * @param capacity - on threads: the chosen pool's queue, which waiting calls count toward.
   * @returns the call's Deferred; `QueueFullError` when it would wait past the pool's `maxQueue`.
   */
  run(call: RoutedCall, start: StartCall<RoutedCall>, capacity?: PoolCapacity): Deferred<unknown> {
    const { decision } = call;
    const entry = this.#entry(decision.rule ?? '', decision.maxConcurrent ?? Infinity);
    entry.route = decision.route;
    entry.pool = decision.pool;
    if (capacity !== undefined && entry.gate.wouldWait()) {
      const waiting = this.#waitingForPool(decision.pool);
      if (waiting + capacity.queueDepth >= capacity.maxQueue) {
        const where = decision.pool === undefined ? 'the thread pool' : `pool '${decision.pool}'`;
        return fail(
          new QueueFullError(
            `Rule '${decision.rule ?? ''}' has ${entry.max} calls in flight (maxConcurrent) and ${where} already has ${waiting + capacity.queueDepth} calls waiting (maxQueue ${capacity.maxQueue})`,
          ),
        );
      }
    }
    if ((decision.route === 'thread' || decision.route === 'remote') && entry.gate.wouldWait()) {
      // eslint-disable-next-line @typescript-eslint/unbound-method -- the site's cut-off frame, never called
      return entry.gate.run({ ...call, site: this.#sites.site(call.target, this.run) }, start);
    }
    return entry.gate.run(call, start);
  }

  /**
   * Fails every waiting call with what `refusal` makes (the reactor is stopping); calls in flight are left alone.
   * @param refusal - makes the error for a waiting call.
   */
  refuseWaiting(refusal: (call: RoutedCall) => Error): void {
    for (const e of this.#entries.values()) e.gate.drain((call) => fail(refusal(call)));
  }

  /**
   * A reload applied a new config: each bulkhead takes its rule's new `maxConcurrent` now, and the calls it lets in
   * start at once (not at the next call or ending of one). A rule the new config no longer has, or that sets no
   * `maxConcurrent` any more, bounds nothing: its waiting calls start (new calls of its tasks no longer pass a gate).
   * Calls in flight are left alone when a limit shrinks. An unnamed rule that moved (`rules[i]` is its position) keeps
   * its bulkhead under its new label.
   * @param ruleOf - where the rule of a label is now: its label and `maxConcurrent`; undefined when it is gone.
   */
  reconfigure(ruleOf: (label: string) => { label: string; maxConcurrent: number | undefined } | undefined): void {
    // Re-keyed first, pumped after: a call a pump starts may decide its label (a synchronous inline call dispatching).
    const entries = [...this.#entries];
    this.#entries.clear();
    for (const [label, e] of entries) {
      const rule = ruleOf(label);
      if (rule?.maxConcurrent === undefined) {
        // Retired: it bounds nothing; an idle one is forgotten now, a busy one once its calls ended (see #prune).
        e.retired = true;
        if (e.gate.inFlight === 0 && e.gate.waiting === 0) continue;
      } else {
        e.retired = false;
        e.max = rule.maxConcurrent;
      }
      // The rule's bulkhead follows it to its new label (an unnamed rule moved). A label already taken (by a bulkhead
      // that moved there) leaves this one under a label of its own, never out of the map: stop() must still find
      // its waiting calls, and its calls in flight still end in it.
      let key = rule?.label ?? label;
      for (let n = 2; this.#entries.has(key); n++) key = `${label} (${n})`;
      this.#entries.set(key, e);
    }
    for (const [, e] of entries) e.gate.pump();
  }

  /** Each rule's bulkhead: its limit, calls in flight and waiting. */
  stats(): Record<string, BulkheadStats> {
    this.#prune();
    // fromEntries defines each key as its own property: a rule named `__proto__` is listed, not made the prototype.
    return Object.fromEntries(
      [...this.#entries].map(([label, e]): [string, BulkheadStats] => [
        label,
        {
          maxConcurrent: e.max,
          inFlight: e.gate.inFlight,
          waiting: e.gate.waiting,
          route: e.route,
          ...(e.pool === undefined ? {} : { pool: e.pool }),
          ...(e.retired ? { retired: true as const } : {}),
        },
      ]),
    );
  }

  #entry(label: string, max: number): Entry {
    let entry = this.#entries.get(label);
    if (entry === undefined) {
      const made: Entry = {
        max,
        retired: false,
        route: 'thread',
        pool: undefined,
        gate: new AdmissionGate<RoutedCall>(() => (made.retired ? Infinity : made.max), {
          onQueued: (outer, call) => {
            const { target } = call;
            const name = targetName(target);
            armQueuedDeadline(outer, name, isTask(target) ? target.options.timeoutMs : undefined, this.#clock);
          },
          // A call cancelled or timed out while its task runs on (in its worker, or a killed greenlet's finally) keeps
          // its place until it stops: the bulkhead bounds what runs, not what callers wait for.
          ...(this.#runsOn === undefined ? {} : { runsOn: this.#runsOn }),
        }),
      };
      entry = made;
      this.#entries.set(label, entry);
    } else if (entry.max !== max || entry.retired) {
      // A call its rule decided with a limit: the rule has one (again), whatever a reload did to the bulkhead.
      entry.max = max;
      entry.retired = false;
      entry.gate.pump(); // a reload may have raised it
    }
    return entry;
  }

  /** Forgets the retired bulkheads whose calls all ended (nothing else can end in them: no rule sends calls there). */
  #prune(): void {
    for (const [label, e] of this.#entries) if (e.retired && e.gate.inFlight === 0 && e.gate.waiting === 0) this.#entries.delete(label);
  }

  /** Calls waiting in bulkheads whose thread calls go to `pool` (undefined: the reactor's pool). */
  #waitingForPool(pool: string | undefined): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.route === 'thread' && e.pool === pool) n += e.gate.waiting;
    return n;
  }
}
