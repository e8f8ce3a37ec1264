/**
 * Collect garbage until a condition holds, for tests that watch a value being collected or an unhandled failure being
 * reported (both arrive through `FinalizationRegistry` callbacks, which run on a later task). Needs `--expose-gc`.
 *
 * @module
 */
import { nextTurn } from './next-turn.js';

/**
 * Run `gc()` and a macrotask per round until `done()`, for at most `rounds` rounds (no sleeps).
 * @param done - the condition (a tag collected, a report arrived).
 * @param rounds - the bound on the rounds.
 * @throws Error when the process was not started with `--expose-gc`.
 */
export async function collectUntil(done: () => boolean, rounds = 60): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('This test needs node --expose-gc (npm run jest passes it)');
  for (let i = 0; i < rounds && !done(); i++) {
    gc();
    await nextTurn();
  }
}
