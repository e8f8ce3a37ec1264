/**
 * `shutdownHub`: the hub's part of `reactor.stop()` (SPEC §6.1).
 *
 * @module
 */
import { ReactorStoppedError, TimeoutError } from '../errors.js';
import type { Greenlet } from './greenlet.js';
import type { Hub } from './hub.js';
import { hubControl } from './hub.js';
import { joinAllUnowned } from './join-all.js';
import { killAll } from './kill-all.js';

/** How long (hub clock) stop() waits for killed greenlets to die before it abandons them. */
export const killBoundMs = 1000;

/**
 * Let the hub's greenlets — those alive now and those spawned meanwhile — finish within `graceMs` (hub clock); then
 * refuse further spawns (a greenlet already dead with `ReactorStoppedError`), kill every greenlet still alive, and
 * wait for them to die, at most {@link killBoundMs}. A greenlet still alive then (it caught its `GreenletExit` and
 * carried on: JavaScript cannot stop it) is reported once on the hub's `'error'`, naming it, and abandoned.
 *
 * Why a bound after the kills: `stop()` must always end, or `run()` never returns and the process never exits.
 *
 * Called from a greenlet's code (`await reactor.stop()` in an async greenlet), that greenlet cannot die before this
 * returns: it is killed with the others (the kill goes in at its next switch point after `stop()`), but neither
 * waited for (in the grace or after the kills) nor reported stuck. The joins here are owned by no greenlet, so that
 * kill does not end them either.
 *
 * @param hub - the hub.
 * @param graceMs - how long running greenlets may still take.
 * @returns a promise settled once no greenlet is alive, or the bound passed.
 */
export async function shutdownHub(hub: Hub, graceMs: number): Promise<void> {
  const caller = hub.getCurrent();
  const deadline = hub.clock.now() + graceMs;
  for (;;) {
    const live = others(hubControl.liveGreenlets(hub), caller);
    const left = deadline - hub.clock.now();
    if (live.length === 0 || left <= 0) break;
    await joinAllUnowned(live, { timeoutMs: left, hub }); // then look again: some may have been spawned meanwhile
  }
  hubControl.refuseSpawns(hub, () => new ReactorStoppedError('The reactor is stopped; the hub spawns no new greenlet'));
  const all = hubControl.liveGreenlets(hub);
  if (all.length === 0) return;
  void killAll(all);
  const killed = others(all, caller);
  if (killed.length === 0) return;
  await joinAllUnowned(killed, { timeoutMs: killBoundMs, hub });
  for (const g of killed) if (!g.dead) reportStuck(hub, g);
}

/** @returns `live` without `caller` (the greenlet whose code stops the hub). */
function others(live: Array<Greenlet<unknown>>, caller: Greenlet<unknown> | null): Array<Greenlet<unknown>> {
  return caller === null ? live : live.filter((g) => g !== caller);
}

function reportStuck(hub: Hub, g: Greenlet<unknown>): void {
  const error = new TimeoutError(
    `Greenlet ${g.name}#${g.id} is still alive ${killBoundMs} ms after stop() killed it (it caught its GreenletExit); abandoned`,
  );
  hubControl.report(hub, error, g);
}
