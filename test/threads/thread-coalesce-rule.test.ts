import { afterEach, describe, expect, it } from '@jest/globals';
import { Policy } from '../../src/policy/policy.js';
import { PolicyConfigError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import * as fx from '../fixtures/thread-tasks.js';
import { behindBlocker, built } from './thread-test-kit.js';

const rules = [
  { name: 'alone', match: { task: 'add' }, route: 'thread' as const, coalesce: false as const },
  { name: 'together', match: { task: 'markRan' }, route: 'thread' as const },
];

describe("A policy rule's coalesce: false", () => {
  let reactor: Reactor | undefined;
  afterEach(async () => {
    await reactor?.stop();
    reactor = undefined;
  });

  it('validates as false only', () => {
    expect(() => Policy.load({ rules })).not.toThrow();
    let error: unknown;
    try {
      Policy.load({ rules: [{ match: { task: 'add' }, route: 'thread', coalesce: true as never }] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyConfigError);
    expect((error as PolicyConfigError).issues.map((i) => i.path)).toEqual(['/rules/0/coalesce']);
  });

  it('sends the calls of its tasks one per message while calls of other rules coalesce, and explain() says so', async () => {
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 }, rules } });
    const r = reactor;
    expect(r.explain(built(fx.add), 1, 1).reason).toMatch(/rule 'alone' matched .*; travels alone, not coalesced: its rule sets coalesce: false/);
    const ran = new Int32Array(new SharedArrayBuffer(16));
    const { queued, release } = await behindBlocker(r.threadPool, () => [
      ...Array.from({ length: 4 }, (_, i) => r.dispatch(built(fx.add), i, 1)),
      ...Array.from({ length: 4 }, (_, i) => r.dispatch(built(fx.markRan), ran, i)),
    ]);
    await release();
    expect(await Promise.all(queued)).toEqual([1, 2, 3, 4, 0, 1, 2, 3]);
    expect(r.threadPool.stats()).toMatchObject({ batches: 1, coalesced: 4 });
  });
});
