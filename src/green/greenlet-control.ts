/**
 * `GreenletControl`: the greenlet's side of the hub–greenlet contract — what the hub (and the green package's pools
 * and groups) may do to a greenlet beyond its public API.
 *
 * There is one implementation, `greenletControl` (exported by greenlet.ts, which alone can reach a greenlet's
 * private fields). Who may call what:
 * - The greenlet's hub: `step` (only on a `'queued'` greenlet it took off its run queue, with `getCurrent()` set
 *   to it), `start`/`delay`/`refuse` (right after making it), `tookWait`/`awaitWait`/`acceptsWait`/`cooperateIn`/`busy` (from
 *   its switch points), `queuedContext`, `stats`, and the live-list links `liveInsert`/`liveRemove`/`liveNext`.
 * - `GreenPool`: `start` when it admits a greenlet made with `hubControl.spawnPending`.
 * - `GreenPool`, `Group`, `joinAll`: `linkInternal`; `joinAll`: `newWait`.
 * - `greenletDeferred` and `GreenletCall`: `watch`; `GreenletCall.adopt` (called by the hub): `adopt`.
 * - The hub: `called`, on a greenlet it just had `adopt`ed from a lazy call that was running its function.
 * - Anyone in src/green/: `state`.
 * Nothing outside src/green/ may import it; user code sees only `Greenlet`'s public members.
 *
 * @module
 */
import type { DelayedCall } from '../time/scheduler.js';
import type { AsyncContext } from '../time/async-context.js';
import type { Deferred } from '../deferred/deferred.js';
import type { Greenlet } from './greenlet.js';
import type { GreenletState } from './greenlet-state.js';
import type { HubWait } from './hub-wait.js';
import type { SpawnSite } from './spawn-site.js';
import type { StepStats } from './step-stats.js';

/** Told of a greenlet's death like a link callback; see {@link GreenletControl.watch}. */
export interface GreenletWatcher {
  /** The greenlet died (called where a link would be). @param g - the dead greenlet. */
  greenletDied(g: Greenlet<any>): void;
}

/** The hub-only operations on a greenlet; see the module comment for who may call which. */
export interface GreenletControl {
  /** Run one step of a `'queued'` greenlet. @returns true when an async resumption was handed over (it runs on). */
  step(g: Greenlet<any>): boolean;
  /** @returns the greenlet's state. */
  state(g: Greenlet<any>): GreenletState;
  /**
   * The run-queue test and the context to run the step in, in one (the hub's, before each step; every step runs in
   * the greenlet's spawner's context, and the hub needs it only then).
   * @returns the spawner's async context of a `'queued'` greenlet; null in any other state (killed before it ran).
   */
  queuedContext(g: Greenlet<any>): AsyncContext | null;
  /** `'pending'` → `'queued'` (spawn, pool admission, the `spawnLater` timer); no effect on any other state. */
  start(g: Greenlet<any>): void;
  /** Keep the `spawnLater` timer of a `'pending'` greenlet, so a kill before it fires cancels it. */
  delay(g: Greenlet<any>, timer: DelayedCall): void;
  /** End a greenlet that never runs (refused by capacity or a stopped reactor); reported if nobody observes it. */
  refuse(g: Greenlet<any>, error: unknown): void;
  /**
   * The first `then` on hub wait `w` made by async greenlet `g`: `'raced'` (`w.then(cb)` in the run that made it,
   * not an `await`) unparks `g`, which runs on; `'taken'` (awaited by code not `g`'s: another greenlet, code outside
   * any) unparks it too and leaves `w` to that code; `'awaited'` by `g` parks `g` again (queues it, for
   * `cooperate()`: `ready`) if a kill was held for `w` meanwhile, or it resumed through `w` before awaiting it; a
   * wait `g` had left (it made another hub wait since) and now awaits parks `g` on it again, unless `g` already
   * awaits another hub wait (`Promise.all` over several): then `w` stays an ordinary Deferred.
   * @returns for `'awaited'`: true when `g` now awaits `w` through the hub (the hub delivers its outcome); false
   *   when `w` is an ordinary Deferred to it. Ignored for the others.
   */
  tookWait(g: Greenlet<any>, w: HubWait<any>, how: 'awaited' | 'raced' | 'taken', ready: boolean): boolean;
  /** An async greenlet awaits hub wait `w` (`ready`: it is `cooperate()`, so it is queued at once). */
  awaitWait(g: Greenlet<any>, w: HubWait<any>, ready: boolean): void;
  /** @returns true when `g` is an async (or not yet known) greenlet, so a hub wait its running code makes is its own. */
  acceptsWait(g: Greenlet<any>): boolean;
  /** @returns the Deferred `cooperate()` returns inside a generator greenlet's step; null for other greenlets. */
  cooperateIn(g: Greenlet<any>): Deferred<void> | null;
  /** @returns true while an async greenlet runs a resumption it has not yet ended at a hub wait. */
  busy(g: Greenlet<any>): boolean;
  /** @returns the step statistics of the greenlet's task. */
  stats(g: Greenlet<any>): StepStats;
  /** Notify `cb` at death without counting as observing the outcome (pools, groups, joinAll). */
  linkInternal(g: Greenlet<any>, cb: (g: Greenlet<any>) => void): void;
  /**
   * A hub wait of `g`'s hub for a waiter on `g` (`joinAll`'s), as the greenlet's own `join` makes: owned by the async
   * greenlet of that hub whose code makes it. @returns the wait.
   */
  newWait<T>(g: Greenlet<any>, canceller: (d: Deferred<T>) => void, onAbandon: () => void): Deferred<T>;
  /** Like `link`, with an object instead of a callback (no closure per registration): `watcher.greenletDied(g)`. */
  watch(g: Greenlet<any>, watcher: GreenletWatcher): void;
  /** Put `g` at the head of a hub's live list. @returns the new head. */
  liveInsert(g: Greenlet<any>, head: Greenlet<any> | null): Greenlet<any>;
  /** Take `g` out of a hub's live list. @returns the new head. */
  liveRemove(g: Greenlet<any>, head: Greenlet<any> | null): Greenlet<any> | null;
  /** @returns the next greenlet in a hub's live list. */
  liveNext(g: Greenlet<any>): Greenlet<any> | null;
  /**
   * Make the greenlet of a lazy call (greenlet-call.ts), started and observed, in the call's state: `'queued'` with
   * `fn` and `args` still to call, `'running'` its first call (under the hub's identity; the hub hands what it
   * returns to {@link GreenletControl.called}), or `'dead'` with outcome `fn` (`ok`: a value). Not on any live list.
   * @returns the greenlet.
   */
  adopt<R>(site: SpawnSite, id: number, fn: unknown, args: unknown[] | null, state: GreenletState, ok: boolean): Greenlet<R>;
  /**
   * An adopted `'running'` greenlet's first call returned `r` (or threw it: `threw`): go on as its first step does.
   * @returns true when an async resumption was handed over (it runs on), as {@link GreenletControl.step}.
   */
  called(g: Greenlet<any>, r: unknown, threw: boolean): boolean;
}
