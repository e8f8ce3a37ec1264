/* eslint-disable @typescript-eslint/unbound-method -- the default reactor hands out bound methods; these tests check exactly that */
import { describe, expect, it } from '@jest/globals';
import { reactor } from '../../src/reactor/default-reactor.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { GreenPool } from '../../src/green/green-pool.js';
import { Group } from '../../src/green/group.js';
import { realTimeScheduler } from '../../src/time/real-time-scheduler.js';

describe('reactor (the default instance)', () => {
  it('is a Reactor', () => {
    expect(reactor).toBeInstanceOf(Reactor);
  });

  it('starts idle', () => {
    expect(reactor.state).toBe('idle');
    expect(reactor.running).toBe(false);
  });

  it('returns the same bound method on every access', () => {
    expect(reactor.stop).toBe(reactor.stop);
    expect(reactor.callLater).toBe(reactor.callLater);
  });

  it('works through detached methods', () => {
    const { callLater, now } = reactor;
    const call = callLater(60_000, () => undefined);
    expect(realTimeScheduler.getDelayedCalls()).toContain(call);
    expect(call.getTime()).toBeGreaterThan(now());
    call.cancel();
  });

  it('keeps its triggers across accesses (one instance behind it)', () => {
    const id = reactor.addSystemEventTrigger('after', 'shutdown', () => undefined);
    expect(() => reactor.removeSystemEventTrigger(id)).not.toThrow();
    expect(() => reactor.removeSystemEventTrigger(id)).toThrow(TypeError);
  });

  it('answers `in` for its members', () => {
    expect('callWhenRunning' in reactor).toBe(true);
    expect('noSuchMember' in reactor).toBe(false);
  });
});

describe('GreenPool and Group without a hub', () => {
  it('GreenPool uses the default reactor\'s hub', () => {
    expect(new GreenPool(2).hub).toBe(reactor.hub);
  });

  it('Group spawns its greenlets on the default reactor\'s hub', async () => {
    const group = new Group();
    const g = group.spawn(() => 7);
    expect(reactor.hub.stats().spawned).toBeGreaterThan(0);
    await expect(g.get()).resolves.toBe(7);
  });
});
