/**
 * Review attacks: an async greenlet waits on itself — `await hub.getCurrent().kill()` (gevent's
 * `getcurrent().kill()`), its own `join()`/`get()`. Its own kill takes effect at that await, as at any switch
 * point; a wait for its own death is a hub wait like any other, so a kill from outside still reaches it and a
 * timeout still ends it, instead of a foreign await nothing can end.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Greenlet } from '../../src/green/greenlet.js';
import { successResultOf } from '../helpers/deferred-results.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

describe('an async greenlet waiting on itself', () => {
  it('awaiting its own kill() ends there with GreenletExit: finally runs, the code after it never does', async () => {
    const { hub } = makeVirtualHub();
    const seen: string[] = [];
    let killed: PromiseLike<void> | null = null;
    const g = hub.spawn(async () => {
      try {
        killed = hub.getCurrent()!.kill();
        await killed;
        seen.push('after kill');
      } finally {
        seen.push('finally');
      }
    });
    hub.flush();
    await g.join();
    expect(seen).toEqual(['finally']);
    expect(g.value).toMatchObject({ name: 'GreenletExit' });
    expect(killed).not.toBeNull();
  });

  it('a kill of itself it does not await reaches its next hub wait', async () => {
    const { hub } = makeVirtualHub();
    const seen: string[] = [];
    const g = hub.spawn(async () => {
      void hub.getCurrent()!.kill();
      seen.push('runs on to its switch point');
      await hub.cooperate();
      seen.push('after the switch point');
    });
    hub.flush();
    await g.join();
    expect(seen).toEqual(['runs on to its switch point']);
    expect(g.value).toMatchObject({ name: 'GreenletExit' });
  });

  it.each(['join', 'get'] as const)('awaiting its own %s() with no timeout is killed from outside: finally runs', async (method) => {
    const { hub } = makeVirtualHub();
    const seen: string[] = [];
    const g: Greenlet<void> = hub.spawn(async () => {
      try {
        await hub.getCurrent()![method]();
        seen.push('after wait');
      } finally {
        seen.push('finally');
      }
    });
    hub.flush();
    await Promise.resolve();
    const killed = g.kill();
    hub.flush();
    await g.join();
    successResultOf(killed);
    expect(seen).toEqual(['finally']);
  });

  it('awaiting its own join(10) resumes with false when the 10 ms pass', async () => {
    const { hub, clock } = makeVirtualHub();
    const g = hub.spawn(async () => await hub.getCurrent()!.join(10));
    hub.flush();
    await Promise.resolve();
    clock.advance(10);
    hub.flush();
    expect(await g).toBe(false);
  });
});
