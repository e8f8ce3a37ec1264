/**
 * Adversarial tests of `reactor.explain()` against what `dispatch` then does: a decision `dispatch` cannot carry out
 * (a rule's pool that this reactor does not have, a remote route without a backend) must say so, not read as if the
 * call would run there.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask } from '../../src/task/task.js';
import { Clock } from '../../src/time/clock.js';
import { failureOf } from '../threads/thread-test-kit.js';

export const explained = defineTask(import.meta.url, 'explained', (n: number): number => n, { kind: 'cpu' });

describe('reactor.explain()', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it("says dispatch errbacks TypeError when a reload's rule names a pool the reactor was not made with", async () => {
    reactor = new Reactor({ clock: new Clock(), policy: { rules: [{ match: { task: 'explained' }, route: 'thread' }] } });
    reactor.policy.update({ rules: [{ name: 'p', match: { task: 'explained' }, route: 'thread', pool: 'heavy' }], pools: { heavy: { maxThreads: 1 } } });
    const decision = reactor.explain(explained, 1);
    expect(decision).toMatchObject({ route: 'thread', rule: 'p', pool: 'heavy' });
    expect(decision.reason).toBe(
      "rule 'p' matched task 'explained'; in pool 'heavy', which this reactor does not have (pools are made with the reactor; a reload cannot add one), so dispatch errbacks TypeError",
    );
    expect(await failureOf(reactor.dispatch(explained, 1))).toBeInstanceOf(TypeError);
  });
});
