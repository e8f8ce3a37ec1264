import { afterEach, describe, expect, it } from '@jest/globals';
import type { BlockedEvent } from '../../src/green/hub.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

/**
 * SPEC §6: the hub runs steps until `sliceMs` of wall time is used, and a single step longer than
 * `blockingThresholdMs` emits `'blocked'`. Both need the time after every step: a task whose steps were quick for a
 * long while and then turn slower must not run a batch of slow steps past its slice, nor be reported for a batch
 * (docs/design.md, "one read per group of quick steps — tried, measured, reverted").
 */
describe('Hub slices and blocked reports when a task\'s steps turn from quick to slow', () => {
  /** 50 greenlets of one function: 2,000 steps of no time, then 20 steps of `slowMs` each, on an injected clock. */
  function run(slowMs: number): { perPass: number[]; slowPerPass: number[]; blocked: BlockedEvent[] } {
    let wall = 0;
    let quickLeft = 2_000;
    let slow = 0;
    const passes: Array<() => void> = [];
    const { hub } = makeVirtualHub({ sliceMs: 4, blockingThresholdMs: 20, now: () => wall, nextTurn: (fn) => passes.push(fn) });
    const blocked: BlockedEvent[] = [];
    hub.on('blocked', (event: BlockedEvent) => blocked.push(event));
    function* worker(): Generator<undefined, void, unknown> {
      while (quickLeft > 0) {
        quickLeft--;
        yield;
      }
      for (let i = 0; i < 20; i++) {
        wall += slowMs;
        slow++;
        yield;
      }
    }
    const greenlets = Array.from({ length: 50 }, () => hub.spawn(worker));
    const perPass: number[] = [];
    const slowPerPass: number[] = [];
    while (passes.length > 0) {
      const [before, slowBefore] = [wall, slow];
      passes.shift()!();
      perPass.push(wall - before);
      slowPerPass.push(slow - slowBefore);
    }
    expect(greenlets.every((g) => g.dead)).toBe(true);
    return { perPass, slowPerPass, blocked };
  }

  it('ends a pass at the first slow step past sliceMs: 1 ms steps run 4 to a pass, never more', () => {
    const { perPass, slowPerPass } = run(1);
    expect(Math.max(...slowPerPass)).toBe(4);
    expect(Math.max(...perPass)).toBe(4);
  });

  it('reports no blocked step when every step is shorter than blockingThresholdMs', () => {
    const { blocked } = run(3);
    expect(blocked).toEqual([]);
  });

  it('reports each step longer than blockingThresholdMs alone, with its own time', () => {
    const { blocked, slowPerPass } = run(25);
    expect(blocked).toHaveLength(50 * 20);
    expect(blocked.every((event) => event.ms === 25)).toBe(true);
    expect(Math.max(...slowPerPass)).toBe(1); // a step past the slice ends its pass
  });
});
