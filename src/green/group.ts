/**
 * `Group`: a set of greenlets to join or kill together (gevent's `Group`).
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';
import type { Task } from '../task/task.js';
import { getDefaultHub } from './default-hub.js';
import { greenletControl, type Greenlet } from './greenlet.js';
import type { GreenletFunction, Hub } from './hub.js';
import { joinUntilEmpty, killIfKilling, killUntilEmpty, newSetKills } from './until-empty.js';

/**
 * An unbounded set of greenlets; members leave when they die.
 *
 * Why: to wait for or stop a batch of related greenlets as one (a connection's readers and writers), without a
 * concurrency limit (that is {@link GreenPool}).
 *
 * @example
 * ```ts
 * const group = new Group();
 * group.spawn(reader, conn); group.spawn(writer, conn);
 * yield group.join();
 * ```
 */
export class Group {
  readonly #members = new Set<Greenlet<any>>();
  readonly #hub: Hub | undefined;
  readonly #kills = newSetKills();
  readonly #leave = (g: Greenlet<any>): void => {
    this.#members.delete(g);
  };

  /** @param hub - the hub `spawn` uses; default: the default reactor's hub. */
  constructor(hub?: Hub) {
    this.#hub = hub;
  }

  /** The number of members (alive greenlets added or spawned here). */
  get size(): number {
    return this.#members.size;
  }

  /** @returns true when `g` is a member. @param g - a greenlet. */
  has(g: Greenlet<any>): boolean {
    return this.#members.has(g);
  }

  /**
   * Add a greenlet; a dead one is not kept. While {@link Group.kill} runs, it is killed at once as well (one not
   * started never runs), so the kill ends even when a link respawns every member that dies.
   * @param g - the greenlet.
   */
  add(g: Greenlet<any>): void {
    if (g.dead || this.#members.has(g)) return;
    killIfKilling(this.#kills, g);
    if (g.dead) return;
    this.#members.add(g);
    greenletControl.linkInternal(g, this.#leave);
  }

  /**
   * Remove a greenlet without killing it.
   * @param g - the greenlet.
   */
  discard(g: Greenlet<any>): void {
    this.#members.delete(g);
  }

  /**
   * Spawn on the hub and add (while {@link Group.kill} runs: killed at once, it never runs).
   * @param fn - the function or Task.
   * @param args - its arguments.
   * @returns the greenlet.
   */
  spawn<A extends unknown[], R>(fn: GreenletFunction<A, R> | Task<A, R>, ...args: A): Greenlet<R> {
    const g = (this.#hub ?? getDefaultHub()).spawn(fn, ...args);
    this.add(g);
    return g;
  }

  /**
   * Wait until the group is empty: every member dead, those added meanwhile (members spawning members) too.
   * @param timeoutMs - give up after this long (hub clock).
   * @returns a Deferred firing `true` when all died, `false` on timeout.
   */
  join(timeoutMs?: number): Deferred<boolean> {
    return joinUntilEmpty(() => [...this.#members], timeoutMs, this.#hub ?? getDefaultHub());
  }

  /**
   * Kill every member, and those added meanwhile (a member that spawns one in its `finally`: killed at once, it
   * never runs), until it is empty.
   * @param exception - an error instance or class; default `GreenletExit`.
   * @returns a Deferred firing once all are dead.
   */
  kill(exception?: unknown): Deferred<void> {
    return killUntilEmpty(() => [...this.#members], exception, this.#kills);
  }
}
