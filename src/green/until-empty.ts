/**
 * `joinUntilEmpty` and `killUntilEmpty`: `join`/`kill` of a changing set of greenlets (a `Group`, a `GreenPool`),
 * which end only once the set is empty.
 *
 * @module
 */
import { Deferred } from '../deferred/deferred.js';
import { fail } from '../deferred/fail.js';
import { GreenletExit } from '../errors.js';
import { succeed } from '../deferred/succeed.js';
import type { DelayedCall } from '../time/scheduler.js';
import { badTimeout } from './bad-timeout.js';
import type { Greenlet } from './greenlet.js';
import { newHubWait, type Hub } from './hub.js';
import { joinAllUnowned } from './join-all.js';
import { killAll } from './kill-all.js';
import { killException } from './kill-exception.js';

const noop = (): undefined => undefined;

/**
 * @returns the live ones: a set's own death link may not have run yet when a join's or kill's did (a pool links a
 *   greenlet at admission, after a join that began while it was queued), and a dead one counted as a member would
 *   make the next round fire at once, for ever.
 */
const alive = (gs: Array<Greenlet<any>>): Array<Greenlet<any>> => gs.filter((g) => !g.dead);

/**
 * Wait until `members()` is empty: join the greenlets it lists, then ask again, until it lists none.
 *
 * Why not one `joinAll` of the members at the call: members spawn members (a greenlet adds a helper to its group,
 * or spawns into its pool, while it runs or in its `finally`), and gevent's `Group.join` waits until the group is
 * empty, not only for those it held when the join began.
 *
 * @param members - the live greenlets of the set now (its members leave it when they die).
 * @param timeoutMs - give up after this long (hub clock) with `false`.
 * @param hub - whose clock times it; the wait is a hub wait, so a greenlet waiting in it is killable there.
 * @returns a Deferred firing `true` once the set is empty, `false` on timeout.
 */
export function joinUntilEmpty(members: () => Array<Greenlet<any>>, timeoutMs: number | undefined, hub: Hub): Deferred<boolean> {
  const bad = badTimeout<boolean>(timeoutMs);
  if (bad !== null) return bad;
  if (alive(members()).length === 0) return succeed(true);
  let round: Deferred<unknown> | null = null;
  let timer: DelayedCall | null = null;
  const stop = (): void => {
    if (timer?.active() === true) timer.cancel();
    const r = round;
    round = null;
    r?.cancel(); // unlinks it from the greenlets; its CancelledError is handled below
  };
  const result = newHubWait<boolean>(hub, stop, stop);
  const next = (): void => {
    if (result.called) return;
    const gs = alive(members());
    if (gs.length === 0) {
      stop();
      result.callback(true);
      return;
    }
    const r = joinAllUnowned(gs, { hub });
    round = r;
    r.addCallbacks(() => {
      if (round === r) next();
    }, noop);
  };
  if (timeoutMs !== undefined) {
    timer = hub.clock.callLater(timeoutMs, () => {
      stop();
      if (!result.called) result.callback(false);
    });
  }
  next();
  return result;
}

/**
 * The kills running on one set of greenlets (a `Group`, a `GreenPool`), shared by {@link killUntilEmpty} and the
 * set's `spawn`/`add` (see {@link killIfKilling}).
 */
export interface SetKills {
  /** How many of its kills have not fired yet. */
  running: number;
  /** The exception of the latest of them (instance or class; `undefined`: `GreenletExit`). */
  exception: unknown;
}

/** @returns the record of a set with no kill running. */
export function newSetKills(): SetKills {
  return { running: 0, exception: undefined };
}

/**
 * A greenlet joins a set (spawned into it, added to it): while a kill of the set runs, kill it at once with that
 * kill's exception (one not started never runs).
 *
 * Why: a greenlet spawned while the set is killed would be killed by the kill's next round anyway; killed here, it
 * never becomes a member the kill waits for. Else a supervisor's link that respawns whatever member dies (a kill
 * included) kept the set from ever being empty: kill, death, link, spawn, kill again, recursing until the stack
 * overflowed with the kill's Deferred never firing. Now its respawn while the kill runs is dead at once, the kill
 * fires, and the link on that dead greenlet (a microtask later) respawns into a set no longer being killed.
 *
 * @param kills - the set's kills.
 * @param g - the greenlet joining it.
 */
export function killIfKilling(kills: SetKills, g: Greenlet<any>): void {
  if (kills.running > 0 && !g.dead) void g.kill(kills.exception ?? new GreenletExit()).addErrback(noop);
}

/**
 * Kill what `take()` gives, then ask again once those are dead, until it gives none (gevent's `Group.kill` loops
 * the same way): a member spawned by a dying member (in its `finally`) is killed too — at once, while `kills` says
 * a kill runs ({@link killIfKilling}).
 *
 * @param take - the live greenlets of the set now (a pool also empties its queue here).
 * @param exception - the kill's exception (instance or class); default `GreenletExit`.
 * @param kills - the set's kills: this one counts in it until it fires.
 * @returns a Deferred firing once the set is empty; errbacking with a `TypeError` (nothing killed) for a bad
 *   `exception`.
 */
export function killUntilEmpty(take: () => Array<Greenlet<any>>, exception: unknown, kills: SetKills): Deferred<void> {
  if (exception !== undefined) {
    const made = killException(exception); // tried once up front: bad input kills none of them
    if ('error' in made) return fail(made.error);
  }
  const result = new Deferred<void>();
  kills.running++;
  kills.exception = exception;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    if (--kills.running === 0) kills.exception = undefined;
  };
  const round = (): void => {
    const gs = alive(take());
    if (gs.length === 0) {
      end();
      result.callback(undefined);
      return;
    }
    killAll(gs, exception).addCallbacks(round, (f) => {
      end();
      if (!result.called) result.errback(f);
    });
  };
  round();
  return result;
}
