/**
 * `shutdownHub`: the hub's part of `reactor.stop()`.
 *
 * @module
 */
import type { Hub } from './hub.js';
import { hubControl } from './hub.js';
import { joinAll } from './join-all.js';
import { killAll } from './kill-all.js';

/**
 * Let the hub's live greenlets finish within `graceMs` (hub clock), then kill those still alive and wait for them
 * to die (their `finally` blocks run at their switch points).
 *
 * @param hub - the hub.
 * @param graceMs - how long running greenlets may still take.
 * @returns a promise settled once no greenlet that was alive is left.
 */
export async function shutdownHub(hub: Hub, graceMs: number): Promise<void> {
  const live = hubControl.liveGreenlets(hub);
  if (live.length === 0) return;
  await joinAll(live, { timeoutMs: graceMs, hub });
  const left = live.filter((g) => !g.dead);
  if (left.length > 0) await killAll(left);
}
