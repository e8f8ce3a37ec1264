/**
 * Adversarial tests of one Policy object shared by many reactors (a service that makes a reactor per tenant, say,
 * from one loaded policy): each reactor that passes a bulkhead follows the policy's reloads, and none of that
 * shows up as the policy's own `'change'` listeners (Node warns past 10 listeners: a leak warning on stderr for
 * a correct program, and `listenerCount('change')` is the user's to read).
 *
 * @module
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Policy } from '../../src/policy/policy.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask } from '../../src/task/task.js';
import { Clock } from '../../src/time/clock.js';
import { settled } from '../threads/thread-test-kit.js';

export const sharedInline = defineTask(import.meta.url, 'sharedInline', (n: number): number => n + 1);

describe('a Policy shared by more than ten reactors with bulkheads', () => {
  let reactors: Reactor[] = [];
  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(reactors.map((r) => r.stop({ graceMs: 0 })));
    reactors = [];
  });

  it('prints no MaxListenersExceededWarning and adds no listener of its own to the policy', async () => {
    const warn = jest.spyOn(process, 'emitWarning');
    const policy = Policy.load({ rules: [{ name: 'one', match: { task: 'sharedInline' }, route: 'inline', maxConcurrent: 1 }] });
    reactors = Array.from({ length: 12 }, () => new Reactor({ clock: new Clock(), policy }));
    for (const r of reactors) expect(await settled(r.dispatch(sharedInline, 1))).toEqual({ ok: true, value: 2 });
    expect(policy.listenerCount('change')).toBe(0);
    expect(warn.mock.calls.filter(([w]) => String((w as Error).name ?? w).includes('MaxListeners'))).toEqual([]);
  });

  it("applies a reload to every reactor's bulkhead", async () => {
    const policy = Policy.load({ rules: [{ name: 'one', match: { task: 'sharedInline' }, route: 'inline', maxConcurrent: 1 }] });
    reactors = Array.from({ length: 12 }, () => new Reactor({ clock: new Clock(), policy }));
    for (const r of reactors) await r.dispatch(sharedInline, 1);
    policy.update({ rules: [{ name: 'one', match: { task: 'sharedInline' }, route: 'inline', maxConcurrent: 5 }] });
    expect(reactors.map((r) => r.stats().policy.bulkheads['one']?.maxConcurrent)).toEqual(Array(12).fill(5));
  });
});
