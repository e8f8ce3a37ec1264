/**
 * `joinUntilEmpty` and `killUntilEmpty`: `join`/`kill` of a changing set of greenlets (a `Group`, a `GreenPool`),
 * which end only once the set is empty.
 *
 * @module
 */
import { Deferred } from '../deferred/deferred.js';
import { fail } from '../deferred/fail.js';
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
 * Kill what `take()` gives, then ask again once those are dead, until it gives none (gevent's `Group.kill` loops
 * the same way): a member spawned by a dying member (in its `finally`) is killed too.
 *
 * @param take - the live greenlets of the set now (a pool also empties its queue here).
 * @param exception - the kill's exception (instance or class); default `GreenletExit`.
 * @returns a Deferred firing once the set is empty; errbacking with a `TypeError` (nothing killed) for a bad
 *   `exception`.
 */
export function killUntilEmpty(take: () => Array<Greenlet<any>>, exception: unknown): Deferred<void> {
  if (exception !== undefined) {
    const made = killException(exception); // tried once up front: bad input kills none of them
    if ('error' in made) return fail(made.error);
  }
  const result = new Deferred<void>();
  const round = (): void => {
    const gs = alive(take());
    if (gs.length === 0) {
      result.callback(undefined);
      return;
    }
    killAll(gs, exception).addCallbacks(round, (f) => {
      if (!result.called) result.errback(f);
    });
  };
  round();
  return result;
}
