/**
 * Integration of the hub's step timing with its `'blocked'` consumer, the policy's `auto`: the time a caller's
 * callback spends on a greenlet call's Deferred is not the greenlet's task's, so it must not pin that task to threads.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask } from '../../src/task/task.js';

// Fake wall time for the reactor (`new Reactor({ now })`): code "takes" ms by advancing it, no CPU is burnt.
let wall = 0;
const now = (): number => wall;
const quick = defineTask(import.meta.url, 'quickCall', (n: number): number => n + 1);
const stall = defineTask(import.meta.url, 'stallCall', (ms: number): number => {
  wall += ms; // the task's own code holds the loop
  return ms;
});

describe("auto fed by the hub's 'blocked' events", () => {
  let reactor: Reactor | undefined;
  afterEach(async () => {
    await reactor?.stop({ graceMs: 0 });
    reactor = undefined;
  });

  it("does not pin a quick task to threads for a slow addCallback on its greenlet's Deferred, and still pins one whose own step blocks", async () => {
    reactor = new Reactor({ now, policy: { default: 'green', green: { blockingThresholdMs: 5 }, adaptive: { blockingThresholdMs: 5 } } });
    const callbacks: number[] = [];
    reactor.hub.on('blockedCallbacks', (e: { ms: number }) => callbacks.push(e.ms));
    const result = await reactor.deferToGreenlet(quick, 1).addCallback((v) => {
      wall += 50; // the caller's own slow callback, run at the greenlet's death
      return v;
    });
    expect(result).toBe(2);
    expect(callbacks).toEqual([50]);
    expect(reactor.policy.stats().auto.quickCall?.phase).not.toBe('pinned-to-threads');
    await reactor.deferToGreenlet(stall, 30);
    expect(reactor.policy.stats().auto.stallCall?.phase).toBe('pinned-to-threads');
    expect(reactor.stats().green).toMatchObject({ blockedSteps: 1, blockedCallbacks: 1 });
  });
});
