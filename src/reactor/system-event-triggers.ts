/**
 * `SystemEventTriggers`: the reactor's shutdown hooks, run in three phases (Twisted's `_ThreePhaseEvent`).
 *
 * @module
 */
import { isThenable } from '../is-thenable.js';
import { functionName } from '../function-name.js';
import { safeString } from '../safe-string.js';

/** The phases of a system event, in the order they run. */
export type TriggerPhase = 'before' | 'during' | 'after';

/** The system events a trigger can be attached to. Only shutdown exists: startup is `callWhenRunning`. */
export type SystemEvent = 'shutdown';

declare const triggerIdBrand: unique symbol;

/** Identifies a registered trigger, for `removeSystemEventTrigger`. Opaque: only the reactor makes them. */
export type TriggerId = number & { readonly [triggerIdBrand]: true };

/** How a trigger error is reported: the error, and a description of the trigger that threw. */
export type TriggerErrorReporter = (error: unknown, where: string) => void;

const phases: readonly TriggerPhase[] = ['before', 'during', 'after'];

/** Trigger ids are unique in the process, so one reactor never accepts another's id. */
let nextTriggerId = 1;

interface Trigger {
  readonly fn: (...args: any[]) => unknown;
  readonly args: unknown[];
}

/**
 * The registered shutdown triggers of one reactor, by phase, in registration order.
 *
 * Rules (Twisted's): each phase runs its triggers in registration order; a trigger that throws (or returns a
 * thenable that rejects) is reported and the rest still run; a trigger added to a phase while that phase is
 * running runs in it too, one removed before its turn does not run. A trigger runs at most once — the event
 * fires once — and one added to a phase that already ran never runs. Only `before` results are waited for:
 * `runPhase('before')` hands back the thenables (Deferreds, Promises) its triggers returned, and the reactor
 * holds the later phases until they settle.
 */
export class SystemEventTriggers {
  readonly #byPhase: Record<TriggerPhase, Map<TriggerId, Trigger>> = {
    before: new Map(),
    during: new Map(),
    after: new Map(),
  };
  /** Triggers that already ran and were not removed since: removing one of them is allowed once. */
  readonly #ran = new Set<TriggerId>();
  readonly #report: TriggerErrorReporter;

  /** @param report - where a trigger's error goes. */
  constructor(report: TriggerErrorReporter) {
    this.#report = report;
  }

  /**
   * Register `fn(...args)` to run in `phase` of `event`.
   *
   * @param phase - `'before'`, `'during'` or `'after'`.
   * @param event - `'shutdown'`.
   * @param fn - the trigger.
   * @param args - its arguments.
   * @returns the id to remove it with.
   * @throws TypeError for another phase or event, or when `fn` is not a function.
   */
  add(phase: TriggerPhase, event: SystemEvent, fn: (...args: any[]) => unknown, args: unknown[]): TriggerId {
    if (!phases.includes(phase)) {
      throw new TypeError(`Expected \`phase\` to be 'before', 'during' or 'after', got \`${safeString(phase)}\` (${typeof phase})`);
    }
    if (event !== 'shutdown') {
      throw new TypeError(`Expected \`event\` to be 'shutdown', got \`${safeString(event)}\` (${typeof event})`);
    }
    if (typeof fn !== 'function') {
      throw new TypeError(`Expected \`fn\` to be a function, got \`${safeString(fn)}\` (${typeof fn})`);
    }
    const id = nextTriggerId++ as TriggerId;
    this.#byPhase[phase].set(id, { fn, args });
    return id;
  }

  /**
   * Unregister a trigger. One that has not run yet will not run; removing one that already ran is allowed
   * (once), so cleanup code need not know whether shutdown has started.
   *
   * @param id - what `add` returned.
   * @throws TypeError when `id` is unknown or was already removed.
   */
  remove(id: TriggerId): void {
    for (const phase of phases) {
      if (this.#byPhase[phase].delete(id)) {
        return;
      }
    }
    if (!this.#ran.delete(id)) {
      throw new TypeError(`Expected \`id\` to be a registered system event trigger, got \`${safeString(id)}\` (${typeof id})`);
    }
  }

  /**
   * Run (and consume) every trigger of `phase` in registration order, reporting errors.
   *
   * @param phase - the phase to run.
   * @param notWaitedFor - a thenable a trigger may return that is not handed back (the shutdown's own promise).
   * @returns the thenables the triggers returned, for the caller to wait on; their rejections are reported
   *   here already, so the caller may ignore them.
   */
  runPhase(phase: TriggerPhase, notWaitedFor?: PromiseLike<unknown>): PromiseLike<unknown>[] {
    const triggers = this.#byPhase[phase];
    const waits: PromiseLike<unknown>[] = [];
    // A Map iterates live: entries added during the loop are visited, deleted ones are skipped.
    for (const [id, trigger] of triggers) {
      triggers.delete(id);
      this.#ran.add(id);
      const where = `'${phase}' shutdown trigger #${id} (${functionName(trigger.fn, 'anonymous')})`;
      try {
        const result = trigger.fn(...trigger.args);
        if (result !== notWaitedFor && isThenable(result)) {
          waits.push(
            Promise.resolve(result).then(undefined, (error: unknown) => {
              this.#report(error, where);
            }),
          );
        }
      } catch (error: unknown) {
        this.#report(error, where);
      }
    }
    return waits;
  }
}
