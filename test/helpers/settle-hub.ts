/**
 * Let a hub and the microtasks its async greenlets need run until nothing is left to do: a few rounds of
 * `hub.flush()` and a macrotask turn (an async greenlet's `await` of a hub wait reaches the hub a microtask later).
 */
import type { Hub } from '../../src/green/hub.js';
import { nextTurn } from './next-turn.js';

/**
 * @param hub - the hub (on a virtual clock: timers only fire when the test advances it).
 * @param rounds - how many flush-and-turn rounds.
 */
export async function settleHub(hub: Hub, rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    hub.flush();
    await nextTurn();
  }
}
