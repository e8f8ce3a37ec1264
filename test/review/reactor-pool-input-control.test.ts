/**
 * Adversarial tests of the reactor's pool-taking entry points, `deferToThreadPool` and `deferToGreenletPool`, given a
 * `pool` that is the user's own mistake: a revoked Proxy (whose prototype cannot be read: `instanceof` throws), a
 * Proxy whose traps throw. Async APIs never throw (house style): each errbacks a TypeError naming `pool`.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask } from '../../src/task/task.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { proxyWithThrowingTraps, revokedProxy } from '../helpers/hostile-values.js';

export const poolInputTask = defineTask(import.meta.url, 'poolInputTask', () => 1);

const hostilePools: Array<[string, () => object]> = [
  ['a revoked Proxy', revokedProxy],
  ['a Proxy whose traps throw', proxyWithThrowingTraps],
];

describe('Reactor pool entry points given a hostile pool', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it.each(hostilePools)('deferToThreadPool(%s) errbacks a TypeError naming `pool`, never throws', async (_, make) => {
    reactor = new Reactor();
    let d: ReturnType<Reactor['deferToThreadPool']> | undefined;
    expect(() => (d = reactor.deferToThreadPool(make() as never, poolInputTask))).not.toThrow();
    const error = await failureOf(d!);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/^Expected `pool` to be a ThreadPool/);
  });

  it.each(hostilePools)('deferToGreenletPool(%s) errbacks a TypeError naming `pool`, never throws', async (_, make) => {
    reactor = new Reactor();
    let d: ReturnType<Reactor['deferToGreenletPool']> | undefined;
    expect(() => (d = reactor.deferToGreenletPool(make() as never, () => 1))).not.toThrow();
    const error = await failureOf(d!);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/^Expected `pool` to be a GreenPool/);
  });
});
