/**
 * Adversarial tests of a reload that changes a rule's `maxConcurrent` while calls wait in its bulkhead: the new limit
 * applies at the reload itself (waiting calls a raised or removed limit lets in start then), not at the next call or
 * the end of one in flight.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { PolicyConfig } from '../../src/policy/policy-schema.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask } from '../../src/task/task.js';
import { Clock } from '../../src/time/clock.js';
import { settled } from '../threads/thread-test-kit.js';

/** How many `heldGreen` runs started, and the gate they all wait on. */
const held = { started: 0, release: (): void => undefined, gate: Promise.resolve() };

export const heldGreen = defineTask(import.meta.url, 'heldGreen', async (n: number): Promise<number> => {
  held.started += 1;
  await held.gate;
  return n;
});

function config(rule: Partial<NonNullable<PolicyConfig['rules']>[number]>): PolicyConfig {
  return { rules: [{ name: 'few', match: { task: 'heldGreen' }, route: 'green', ...rule }] };
}

/** Closes the gate `heldGreen` runs wait on (and counts their starts from 0). */
function closeGate(): void {
  held.started = 0;
  held.gate = new Promise<void>((resolve) => {
    held.release = resolve;
  });
}

/** A reactor whose rule `few` sends `heldGreen` to greenlets with `maxConcurrent`, and `count` calls of it dispatched. */
function startHeld(maxConcurrent: number, count: number): { reactor: Reactor; calls: Array<ReturnType<Reactor['dispatch']>> } {
  closeGate();
  const reactor = new Reactor({ clock: new Clock(), policy: config({ maxConcurrent }) });
  const calls = Array.from({ length: count }, (_, i) => reactor.dispatch(heldGreen, i + 1));
  const inFlight = Math.min(maxConcurrent, count);
  expect(reactor.stats().policy.bulkheads['few']).toEqual({ maxConcurrent, inFlight, waiting: count - inFlight, route: 'green' });
  return { reactor, calls };
}

describe('a reload that changes a bulkhead while calls wait in it', () => {
  let reactor: Reactor;
  afterEach(async () => {
    held.release();
    await reactor.stop({ graceMs: 0 });
  });

  function start(maxConcurrent = 1, count = 4): Array<ReturnType<Reactor['dispatch']>> {
    let calls;
    ({ reactor, calls } = startHeld(maxConcurrent, count));
    return calls;
  }

  it.each<[string, PolicyConfig, number, number]>([
    ['raises maxConcurrent: as many waiting calls as the new limit allows start at the reload', config({ maxConcurrent: 3 }), 3, 1],
    ['removes maxConcurrent: every waiting call starts at the reload', config({}), 4, 0],
    ['removes the rule: every waiting call starts at the reload', { rules: [] }, 4, 0],
  ])('%s', async (_what, next, inFlight, waiting) => {
    const calls = start();
    reactor.policy.update(next);
    expect(reactor.stats().policy.bulkheads['few']).toMatchObject({ inFlight, waiting });
    held.release();
    const outcomes = await Promise.all(calls.map((d) => settled(d)));
    expect(outcomes.map((o) => o.ok && o.value)).toEqual([1, 2, 3, 4]);
    expect(held.started).toBe(4);
  });

  it('lowers maxConcurrent: no waiting call starts, the calls in flight run on, and each later one waits for the new limit', async () => {
    const calls = start();
    reactor.policy.update(config({ maxConcurrent: 2 }));
    expect(reactor.stats().policy.bulkheads['few']).toMatchObject({ maxConcurrent: 2, inFlight: 2, waiting: 2 });
    reactor.policy.update(config({ maxConcurrent: 1 }));
    expect(reactor.stats().policy.bulkheads['few']).toMatchObject({ maxConcurrent: 1, inFlight: 2, waiting: 2 });
    held.release();
    const outcomes = await Promise.all(calls.map((d) => settled(d)));
    expect(outcomes.map((o) => o.ok && o.value)).toEqual([1, 2, 3, 4]);
  });

  describe('stats().policy.bulkheads after a reload retired a bulkhead (removed its rule or its maxConcurrent)', () => {
    // Before: the bulkhead stayed listed for ever with `maxConcurrent: Infinity` (`null` in JSON), a limit nobody set.
    describe.each<[string, PolicyConfig]>([
      ['the rule removed', { rules: [] }],
      ['its maxConcurrent removed', config({})],
    ])('with %s', (_what, next) => {
      it('lists it as retired, with the limit it had, while its calls run on', () => {
        start(2, 3);
        reactor.policy.update(next);
        expect(reactor.stats().policy.bulkheads['few']).toEqual({ maxConcurrent: 2, inFlight: 3, waiting: 0, route: 'green', retired: true });
        expect(JSON.stringify(reactor.stats().policy.bulkheads)).not.toContain('null');
      });

      it('forgets it once its last call ended', async () => {
        const calls = start(2, 3);
        reactor.policy.update(next);
        held.release();
        const outcomes = await Promise.all(calls.map((d) => settled(d)));
        expect(outcomes.map((o) => o.ok && o.value)).toEqual([1, 2, 3]);
        expect(reactor.stats().policy.bulkheads).toEqual({});
      });
    });

    it('bounds again, not retired, when a later reload gives the rule a limit again', async () => {
      const calls = start(2, 3);
      reactor.policy.update(config({}));
      reactor.policy.update(config({ maxConcurrent: 1 }));
      calls.push(reactor.dispatch(heldGreen, 4));
      expect(reactor.stats().policy.bulkheads['few']).toEqual({ maxConcurrent: 1, inFlight: 3, waiting: 1, route: 'green' });
      held.release();
      const outcomes = await Promise.all(calls.map((d) => settled(d)));
      expect(outcomes.map((o) => o.ok && o.value)).toEqual([1, 2, 3, 4]);
    });

    it('does not forget a bulkhead whose rule is still there, idle', async () => {
      const calls = start(2, 3);
      held.release();
      await Promise.all(calls.map((d) => settled(d)));
      reactor.policy.update(config({ maxConcurrent: 5 }));
      expect(reactor.stats().policy.bulkheads['few']).toEqual({ maxConcurrent: 5, inFlight: 0, waiting: 0, route: 'green' });
    });
  });
});

describe('a reload that moves an unnamed bulkhead rule (rules[i] is its position)', () => {
  let reactor: Reactor;
  afterEach(async () => {
    held.release();
    await reactor.stop({ graceMs: 0 });
  });

  const unnamed = { match: { task: 'heldGreen' }, route: 'green', maxConcurrent: 1 } as const;

  it.each<[string, PolicyConfig, string]>([
    ['a rule added before it', { rules: [{ name: 'other', match: { task: 'elsewhere' }, route: 'green' }, unnamed] }, 'rules[1]'],
    ['an unnamed rule added before it', { rules: [{ match: { task: 'elsewhere' }, route: 'inline' }, unnamed] }, 'rules[1]'],
    ['a rule before it removed', { rules: [unnamed] }, 'rules[0]'],
  ])('%s: its bulkhead moves with it, so no more than maxConcurrent calls run at once across the reload', async (_what, next, label) => {
    closeGate();
    const first: PolicyConfig = label === 'rules[0]' ? { rules: [{ match: { task: 'elsewhere' }, route: 'inline' }, unnamed] } : { rules: [unnamed] };
    reactor = new Reactor({ clock: new Clock(), policy: first });
    const calls = [1, 2, 3].map((n) => reactor.dispatch(heldGreen, n));
    reactor.policy.update(next);
    calls.push(...[4, 5].map((n) => reactor.dispatch(heldGreen, n))); // decided under the new labels
    await settled(reactor.deferToGreenlet(() => undefined)); // the hub ran its ready greenlets
    expect(held.started).toBe(1);
    expect(reactor.stats().policy.bulkheads[label]).toMatchObject({ maxConcurrent: 1, inFlight: 1, waiting: 4 });
    held.release();
    const outcomes = await Promise.all(calls.map((d) => settled(d)));
    expect(outcomes.map((o) => o.ok && o.value)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('a stopped reactor', () => {
  it("stops following its policy's reloads, and never counts among the 'change' listeners of a policy it shares", async () => {
    const reactor = new Reactor({ clock: new Clock(), policy: config({ maxConcurrent: 1 }) });
    const policy = reactor.policy;
    const before = policy.listenerCount('change');
    await settled(reactor.dispatch(defineTask(import.meta.url, 'heldGreen', (n: number) => n), 1));
    expect(policy.listenerCount('change')).toBe(before);
    await reactor.stop({ graceMs: 0 });
    policy.update(config({ maxConcurrent: 3 }));
    expect(reactor.stats().policy.bulkheads['few']).toMatchObject({ maxConcurrent: 1 });
  });
});
