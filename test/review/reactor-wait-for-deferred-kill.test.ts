/**
 * `reactor.waitForDeferred(d)` awaited in an async greenlet of the reactor's hub is a switch point: a kill reaches
 * the greenlet there (its `finally` runs, the code after the wait never does), stops the wait's timer and leaves `d`
 * alone. The green side (`waitForDeferred` given a hub) is pinned in waiter-for-deferred-control; this pins that the
 * reactor hands it its hub.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { GreenletExit } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';
import { successResultOf } from '../helpers/deferred-results.js';

describe('reactor.waitForDeferred() in an async greenlet', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it.each([undefined, 60_000])('is killable there (timeout %s): finally runs, the code after does not, d and the clock are left clean', async (timeoutMs) => {
    const clock = new Clock();
    reactor = new Reactor({ clock });
    const d = new Deferred<string>();
    const seen: string[] = [];
    const g = reactor.hub.spawn(async () => {
      try {
        await reactor.waitForDeferred(d, timeoutMs);
        seen.push('after');
      } finally {
        seen.push('finally');
      }
    });
    reactor.hub.flush();
    await Promise.resolve();
    const killed = g.kill();
    reactor.hub.flush();
    await killed;
    expect(g.value).toBeInstanceOf(GreenletExit);
    expect(seen).toEqual(['finally']);
    expect(clock.getDelayedCalls()).toHaveLength(0);
    expect(d.called).toBe(false);
    d.callback('late');
    expect(successResultOf(d)).toBe('late');
    expect(seen).toEqual(['finally']);
  });

  it('outside any greenlet it still waits and fires with d\'s result (no hub is made for it)', () => {
    reactor = new Reactor({ clock: new Clock() });
    const d = new Deferred<string>();
    const w = reactor.waitForDeferred(d);
    d.callback('v');
    expect(successResultOf(w)).toBe('v');
  });
});
