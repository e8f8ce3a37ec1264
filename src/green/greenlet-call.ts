/**
 * `GreenletCall`: one `deferToGreenlet` call and its Deferred — and, for a plain function, its greenlet too until
 * something needs a real one.
 *
 * Who may call what (the lazy record's side of its contract with the hub):
 * - The hub makes a lazy call (`hubControl.spawnCall`) and alone drives it: `queued`/`stats`/`queuedContext` while it waits
 *   on the run queue, `callUnder` to run its one step, `settle` when that step ended it, `adopt` to give it a Greenlet.
 * - The call itself asks its hub (through `GreenletHost`) to `materialize` it when it is cancelled while running,
 *   and to `dropCall` it when it is cancelled while queued.
 * - `greenletDeferred` makes the eager kind (a Greenlet already exists) and arms a task's timeout on it.
 *
 * @module
 */
import { deadlineMessage, type CallDeadline } from '../context/call-deadline.js';
import { ownedDeferred, ownerOf, type Deferred } from '../deferred/deferred.js';
import { TimeoutError } from '../errors.js';
import type { AsyncContext } from '../time/async-context.js';
import type { DelayedCall, Scheduler } from '../time/scheduler.js';
import { greenletControl, isGreenletExit, type Greenlet } from './greenlet.js';
import type { GreenletWatcher } from './greenlet-control.js';
import type { GreenletIdentity } from './greenlet-identity.js';
import type { SpawnSite } from './spawn-site.js';
import type { StepStats } from './step-stats.js';

// Where a lazy call is (none of these once it has a Greenlet: the greenlet's state says it then).
const QUEUED = 0; // on the run queue, its function not called yet
const RUNNING = 1; // its function is running (its one step)
const DONE_OK = 2; // its function returned a value: the call is over (#fn holds the value)
const DONE_FAILED = 3; // its function threw: the call is over (#fn holds the exception)
const DROPPED = 4; // cancelled before it ran: it never runs

/** The one canceller every call's Deferred shares (no closure per call): the call is the Deferred's owner. */
const cancelCall = (d: Deferred<any>): void => {
  (ownerOf(d) as GreenletCall<unknown>).cancelGreenlet();
};

/**
 * One greenlet call and its Deferred (a plain Deferred this call owns, see `ownedDeferred`): it holds its greenlet
 * and timer itself and is the greenlet's death watcher, so a call costs this record and its Deferred rather than a
 * closure scope with a canceller, a settler and their shared variables. It is not a subclass of `Deferred`: every
 * class of Deferred is one more hidden class at every site of the Deferred runner (deferred.ts).
 *
 * Why a lazy record: most `deferToGreenlet` calls of a plain function finish in their one step, and nobody ever
 * sees their greenlet. Such a call (`hubControl.spawnCall`) waits on the run queue as this record and its Deferred
 * alone, with the function, its arguments and a reserved greenlet id; the hub calls it in its turn and fires the Deferred —
 * no Greenlet, no watcher link, no live-list links. Whatever needs the greenlet gets it made on the spot, in the
 * state the call is in (`adopt`): `getCurrent()` in the function or in the Deferred's callbacks at its death, a
 * function that turned out to return a Promise or a generator, the hub's live greenlets (`stop()`, kill-all), a
 * `'blocked'` report, a cancel while it runs. From then on the call is that greenlet's watcher, as an eager one is.
 *
 * @typeParam R - the result.
 */
export class GreenletCall<R> implements GreenletWatcher {
  /** The call's Deferred: what `deferToGreenlet` returns. */
  readonly deferred: Deferred<R> = ownedDeferred(this, cancelCall);
  #greenlet: Greenlet<R> | null;
  #timer: DelayedCall | null = null;
  #cancelling = false;
  // The lazy record, while it has no greenlet (a greenlet's site once it has: nothing reads it then).
  #site: SpawnSite | null = null;
  #fn: unknown = null; // the function; its value or exception once it is over
  #args: unknown[] | null = null;
  #id = 0;
  #phase = QUEUED;

  /**
   * @param g - the greenlet, or null for a lazy call (then `site`, `fn`, `args` and `id` are its record).
   * @param site - hub, task statistics and spawner's context of the lazy call.
   * @param fn - its function.
   * @param args - its arguments (kept as they are until its step).
   * @param id - the greenlet id reserved for it, in spawn order.
   */
  constructor(g: Greenlet<R> | null, site?: SpawnSite, fn?: (...args: any[]) => unknown, args?: unknown[], id?: number) {
    this.#greenlet = g;
    if (g === null) {
      this.#site = site!;
      this.#fn = fn;
      this.#args = args!;
      this.#id = id!;
    }
  }

  /** The call behind `d`, when `d` is a greenlet call's Deferred. */
  static of(d: Deferred<unknown>): GreenletCall<unknown> | undefined {
    const owner = ownerOf(d);
    return owner instanceof GreenletCall ? owner : undefined;
  }

  /** The greenlet, once there is one (always for an eager call). */
  get greenlet(): Greenlet<R> | null {
    return this.#greenlet;
  }

  /** A lazy call still waiting on the run queue (not cancelled, no greenlet). */
  get queued(): boolean {
    return this.#phase === QUEUED && this.#greenlet === null;
  }

  /** A lazy call whose function runs now (its one step), with no greenlet yet. */
  get running(): boolean {
    return this.#phase === RUNNING && this.#greenlet === null;
  }

  /** The lazy call's task step statistics. */
  get stats(): StepStats {
    return this.#site!.stats;
  }

  /**
   * A lazy call with no greenlet (the hub checked): the spawner's async context to run it in while it waits on the
   * run queue, or null once it was cancelled or ran (the run-queue test and the context in one).
   * @returns the context, or null.
   */
  queuedContext(): AsyncContext | null {
    return this.#phase === QUEUED ? this.#site!.context : null;
  }

  /**
   * The hub runs the lazy call's one step: its function, under the hub's greenlet identity with this call as the
   * owner (an async function's continuations stay this call's, and so its greenlet's once made).
   *
   * What `identity.run` does, written out: its `fn(...args)` is one spread call site shared by every function the
   * hub calls under the identity; here a call of up to three arguments is a plain call (~0.97× the time of a
   * one-step call through `identity.run`, measured side by side in one process).
   * @param identity - the hub's identity.
   * @returns what the function returned.
   * @throws what the function threw.
   */
  callUnder(identity: GreenletIdentity<Greenlet<any> | GreenletCall<any>>): unknown {
    const fn = this.#fn as (...args: any[]) => unknown;
    const args = this.#args!;
    this.#fn = null;
    this.#args = null;
    this.#phase = RUNNING;
    if (!identity.enabled) identity.enable();
    const outer = identity.enter(this);
    try {
      switch (args.length) {
        case 0:
          return fn();
        case 1:
          return fn(args[0]);
        case 2:
          return fn(args[0], args[1]);
        case 3:
          return fn(args[0], args[1], args[2]);
        default:
          return fn(...args);
      }
    } finally {
      identity.restore(outer);
    }
  }

  /**
   * The lazy call's step ended it (its function returned a value that is neither a Promise nor a generator, or
   * threw) with no greenlet made: fire the Deferred. A `GreenletExit` errbacks whether it was thrown or returned, as
   * {@link GreenletCall.greenletDied} has it for a greenlet (geventreactor's rule).
   * @param ok - it returned. @param result - the value or the exception.
   */
  settle(ok: boolean, result: unknown): void {
    this.#phase = ok ? DONE_OK : DONE_FAILED;
    this.#fn = result;
    if (ok && !isGreenletExit(result)) this.deferred.callback(result as R);
    else this.deferred.errback(result);
  }

  /**
   * Give the lazy call its greenlet, in the state the call is in (queued, running its function, or dead with its
   * outcome), and watch it from now on. Only the hub calls this: it also puts a live one on its live list.
   * @returns the greenlet.
   */
  adopt(): Greenlet<R> {
    const phase = this.#phase;
    const state = phase === QUEUED ? 'queued' : phase === RUNNING ? 'running' : 'dead';
    const g = greenletControl.adopt<R>(this.#site!, this.#id, this.#fn, this.#args, state, phase !== DONE_FAILED);
    this.#greenlet = g;
    this.#site = null;
    this.#fn = null;
    this.#args = null;
    if (state !== 'dead') greenletControl.watch(g, this);
    return g;
  }

  /**
   * The canceller: kill the greenlet; the Deferred still says CancelledError if the kill ends it synchronously. A
   * lazy call still queued is dropped (it never runs); one running its function gets its greenlet to kill.
   */
  cancelGreenlet(): void {
    this.#cancelling = true;
    this.#stopTimer();
    let g = this.#greenlet;
    if (g === null) {
      if (this.#phase === QUEUED) {
        this.#phase = DROPPED;
        this.#fn = null; // it never runs: its function and arguments go, as a killed greenlet's do
        this.#args = null;
        this.#site!.host.dropCall();
        return;
      }
      if (this.#phase !== RUNNING) return;
      g = this.#site!.host.materialize(this) as Greenlet<R>;
    }
    void g.kill();
  }

  /** The greenlet died: fire with its outcome, unless cancelled or timed out first (the late outcome is dropped). */
  greenletDied(dead: Greenlet<R>): void {
    const d = this.deferred;
    if (d.called || this.#cancelling) return;
    this.#stopTimer();
    if (!dead.successful()) d.errback(dead.exception);
    else if (isGreenletExit(dead.value)) d.errback(dead.value);
    else d.callback(dead.value as R);
  }

  /**
   * Arm the call's time limit: past it, errback with `TimeoutError` and kill the greenlet (an eager call's). The message
   * is `deadlineMessage`'s when the limit came from `callDeadline` (`deadline`), as on the thread and remote routes.
   */
  armTimeout(clock: Scheduler, timeoutMs: number, name: string, deadline?: CallDeadline): void {
    this.#timer = clock.callLater(timeoutMs, () => {
      if (this.deferred.called) return;
      const message = deadline !== undefined ? deadlineMessage(name, deadline) : `Greenlet ${name} did not finish within ${timeoutMs} ms`;
      this.deferred.errback(new TimeoutError(message));
      void this.#greenlet!.kill();
    });
  }

  #stopTimer(): void {
    const timer = this.#timer;
    if (timer !== null && timer.active()) timer.cancel();
  }
}
