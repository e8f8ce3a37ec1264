/**
 * A dispatch site keeps the frames it was captured in unformatted, receivers included: the site of a call sent from
 * a Deferred callback holds the run whose result fired that callback. A run lets go of its site once it is over, so
 * a chain of calls, each sent from its predecessor's callback, keeps none of the finished ones alive.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import type { Deferred } from '../../src/deferred/deferred.js';
import * as fx from '../fixtures/thread-tasks.js';
import { behindBlocker, built, changed, gate, open } from './thread-test-kit.js';
import { nextTurn } from '../helpers/next-turn.js';

describe('ThreadPool dispatch sites', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  it.each([
    ['one call at a time', 1],
    ['16 chains at once (their calls coalesce)', 16],
  ])('keep no finished call of a callback-driven chain alive: %s', async (_, chains) => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc).toBeDefined(); // the suite runs with --expose-gc
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1 });
    const add = built(fx.add);
    const generations = 6;
    const firsts: Array<WeakRef<object>> = [];
    const earlier: Array<WeakRef<object>> = []; // every call but the last of each chain
    const lasts: Array<Deferred<unknown>> = []; // held, as a caller holds its latest call
    await new Promise<void>((resolve) => {
      let left = chains;
      const next = (generation: number): void => {
        const d = pool.run(add, generation, 1);
        if (generation === 0) firsts.push(new WeakRef(d));
        d.addCallback(() => {
          if (generation + 1 < generations) {
            earlier.push(new WeakRef(d));
            next(generation + 1);
          }
          else {
            lasts.push(d);
            if (--left === 0) resolve();
          }
        });
      };
      for (let i = 0; i < chains; i++) next(0);
    });
    expect(lasts).toHaveLength(chains);
    if (chains > 1) expect(pool.stats().coalesced).toBeGreaterThan(0);
    await nextTurn(); // a WeakRef keeps its target until the job ends
    gc!();
    expect(firsts.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    expect(earlier.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  });

  // The batch's reply handler empties its list of runs (members) and its list of calls (their arguments): either,
  // kept, would be held by the frames of a dispatch site captured in a callback of the batch's results.
  it.each([
    ["other calls (its runs)", (call: Deferred<unknown>, _arg: object): object => call],
    ['arguments (its list of calls)', (_call: Deferred<unknown>, arg: object): object => arg],
  ])("keep a batch's %s free once its reply is handled, while a call sent from one of its callbacks is in flight", async (_, watched) => {
    const gc = (globalThis as { gc?: () => void }).gc;
    pool = new ThreadPool({ minThreads: 1, maxThreads: 1 });
    const echo = built(fx.echo);
    const args = Array.from({ length: 16 }, (_, i) => ({ call: i }));
    const { queued, release } = await behindBlocker(pool, () => args.map((arg) => pool.run(echo, arg)));
    const cells = gate();
    let held: Deferred<unknown> | undefined; // in flight: its dispatch site was captured in a callback of the batch
    queued[0]!.addCallback(() => {
      held = pool.run(built(fx.waitForGate), cells, 'held');
    });
    const refs = queued.map((call, i) => new WeakRef(watched(call, args[i]!)));
    args.length = 0;
    queued.length = 0;
    await release();
    await changed(cells); // the held call runs
    expect(pool.stats()).toMatchObject({ batches: 1, coalesced: 16 });
    await nextTurn(); // a WeakRef keeps its target until the job ends
    gc!();
    // The call whose callback sent it may stay, with its argument (its run is in the site's frames); its 15
    // batch-mates may not.
    expect(refs.filter((ref) => ref.deref() !== undefined).length).toBeLessThanOrEqual(1);
    open(cells);
    expect(await held).toBe('held');
  });
});
