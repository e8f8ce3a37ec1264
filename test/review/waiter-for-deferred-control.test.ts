/**
 * Review attacks: `waitForDeferred(d, timeoutMs, clock, hub)` awaited in an async greenlet of `hub` is a switch point:
 * a kill reaches the greenlet there (its `finally` runs, the code after never does), stops the wait's timer and
 * leaves `d` alone, as the timeout does. (The reactor's `waitForDeferred` must pass its hub for this: see the report.)
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { waitForDeferred } from '../../src/green/wait-for-deferred.js';
import { GreenletExit } from '../../src/errors.js';
import { successResultOf } from '../helpers/deferred-results.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { spawnRecordingWaiter } from '../green/fixtures/recording-waiter.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

describe('waitForDeferred() with its hub', () => {
  it.each([undefined, 60_000])('awaited in an async greenlet (timeout %s) is killable there; d is not cancelled, no timer stays', async (timeoutMs) => {
    const { hub, clock } = makeVirtualHub();
    const d = new Deferred<string>();
    const seen: string[] = [];
    const g = spawnRecordingWaiter(hub, 'async', () => waitForDeferred(d, timeoutMs, clock, hub), seen);
    hub.flush();
    await Promise.resolve();
    await g.kill();
    expect(g.value).toBeInstanceOf(GreenletExit);
    expect(seen).toEqual(['finally']);
    expect(clock.getDelayedCalls()).toHaveLength(0);
    expect(d.called).toBe(false);
    d.callback('late');
    expect(successResultOf(d)).toBe('late');
  });

  it('an outcome already there comes back at once, inside a greenlet too', async () => {
    const { hub, clock } = makeVirtualHub();
    const g = hub.spawn(async () => {
      const w = waitForDeferred(Promise.resolve('x'), undefined, clock, hub);
      const fired = new Deferred<string>();
      fired.callback('now');
      const at = waitForDeferred(fired, undefined, clock, hub);
      return [await w, successResultOf(at)];
    });
    expect(await g).toEqual(['x', 'now']);
  });
});
