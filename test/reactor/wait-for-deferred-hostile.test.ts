import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';
import { failureResultOf } from '../helpers/deferred-results.js';
import { withThrowingThen, withThrowingThenGetter } from '../helpers/hostile-values.js';

const reactors: Reactor[] = [];

function makeReactor(): { reactor: Reactor; clock: Clock } {
  const clock = new Clock();
  const reactor = new Reactor({ clock });
  reactors.push(reactor);
  return { reactor, clock };
}

afterEach(async () => {
  await Promise.all(reactors.splice(0).map((r) => r.stop()));
});

describe('reactor.waitForDeferred() with hostile awaitables', () => {
  it("errbacks with d's then-getter error instead of throwing", () => {
    const { reactor } = makeReactor();
    const error = new RangeError('then getter');
    let w: Deferred<unknown> | undefined;
    expect(() => (w = reactor.waitForDeferred(withThrowingThenGetter(error) as PromiseLike<unknown>))).not.toThrow();
    expect(failureResultOf(w!).value).toBe(error);
  });

  it('errbacks with the error a thenable throws from its then, and cancels its timer', () => {
    const { reactor, clock } = makeReactor();
    const error = new RangeError('then throws');
    const w = reactor.waitForDeferred(withThrowingThen(error), 50);
    expect(failureResultOf(w).value).toBe(error);
    expect(clock.getDelayedCalls()).toHaveLength(0);
  });

  it('errbacks with the then-getter error of a nested result instead of throwing into the source', () => {
    const { reactor } = makeReactor();
    const error = new RangeError('nested then getter');
    const source = new Deferred<unknown>();
    const w = reactor.waitForDeferred(source);
    const hostile = withThrowingThenGetter(error);
    expect(() => source.callback(hostile)).not.toThrow();
    expect(failureResultOf(w).value).toBe(error);
    // The source is only observed (SPEC §6.1): it keeps the value it was fired with, its getter unread by its chain.
    // (Read by a callback that ends the chain: one handing the value on would make the chain read the getter.)
    let held: unknown = null;
    source.addCallback((value: unknown) => {
      held = value;
    });
    expect(held).toBe(hostile);
  });
});
