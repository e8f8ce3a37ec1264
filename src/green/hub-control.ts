/**
 * `HubControl`: what the green package's pools, shutdown and primitives may do with a hub beyond its public API.
 *
 * There is one implementation, `hubControl` (exported by hub.ts, which alone can reach a hub's private fields).
 * Who may call what:
 * - `GreenPool`: `spawnPending` (a greenlet it starts itself, with `greenletControl.start`, when a slot frees).
 * - `callInGreenlet` (greenlet-deferred.ts): `spawnCall`.
 * - `shutdownHub`: `liveGreenlets`, `refuseSpawns`, `report`.
 * - Primitives (`Event`, `Queue`, `Semaphore`, … through waiter-list.ts) and `Greenlet`'s own waits: `newWait`
 *   (also exported as `newHubWait` from hub.ts).
 * Nothing outside src/green/ may import it.
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';
import type { Task } from '../task/task.js';
import type { Greenlet } from './greenlet.js';
import type { GreenletCall } from './greenlet-call.js';
import type { GreenletFunction, Hub } from './hub.js';
import type { HubWait } from './hub-wait.js';

/** The package-internal operations on a hub; see the module comment for who may call which. */
export interface HubControl {
  /** Make a `'pending'` greenlet on `hub` (captured in the caller's async context) that runs once started. */
  spawnPending<R>(hub: Hub, fn: GreenletFunction<any[], R> | Task<any[], R>, args: unknown[]): Greenlet<R>;
  /**
   * Spawn `fn(...args)` as a lazy call (greenlet-call.ts) when `fn` is a plain function (not a generator or async
   * function), or a Task whose function (`task.fn`) is one, and the hub takes it (neither full nor refusing); queued
   * at once, as `spawn` does.
   * @returns the call, or null: spawn it the ordinary way.
   */
  spawnCall<R>(hub: Hub, fn: GreenletFunction<any[], R> | Task<any[], R>, args: unknown[]): GreenletCall<R> | null;
  /**
   * @returns the greenlets alive on `hub` (spawned, not dead): lazy calls alive get theirs made now and come first,
   *   then the rest, newest first.
   */
  liveGreenlets(hub: Hub): Array<Greenlet<unknown>>;
  /**
   * From now on `hub.spawn` (and pools on it) return a greenlet already dead with `error` (a stopped reactor).
   * @param error - makes the error for each refused spawn.
   */
  refuseSpawns(hub: Hub, error: () => unknown): void;
  /** Report `error` about `g` on the hub's `'error'` (default: `console.error`), as for an unobserved exception. */
  report(hub: Hub, error: unknown, g: Greenlet<any>): void;
  /**
   * A Deferred for a waiter (Event.wait, Queue.get, Semaphore.acquire, a greenlet's join…): a hub wait. Awaited by
   * an async greenlet of `hub`, it is that greenlet's switch point (resumed in its turn, rejected by `kill`); a
   * greenlet killed while waiting on it runs `onAbandon` (the primitive drops the waiter, or takes back what it had
   * already handed to it: a killed waiter never consumes).
   */
  newWait<T>(hub: Hub, canceller: ((d: Deferred<T>) => void) | undefined, onAbandon: () => void): HubWait<T>;
}
