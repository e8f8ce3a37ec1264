/**
 * Review attacks: a greenlet's `signal` whose abort listeners throw. Node rethrows a listener's exception on a later
 * tick as an uncaught exception (the process ends); a greenlet's listeners report to the hub's `'error'` instead,
 * like its links, and the kill goes on: the greenlet dies, `kill()` fires, the other listeners run.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Greenlet } from '../../src/green/greenlet.js';
import { GreenletExit } from '../../src/errors.js';
import { makeVirtualHub, type VirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

/** A generator greenlet parked on a long sleep. */
function parked(vh: VirtualHub): Greenlet<void> {
  const g = vh.hub.spawn(function* () {
    yield vh.hub.sleep(60_000);
  });
  vh.hub.flush();
  return g;
}

/** Kill `g` and let the ticks after it run (a listener's rethrow would come there). @returns whether kill() fired. */
async function killAndSettle(vh: VirtualHub, g: Greenlet<unknown>): Promise<boolean> {
  let fired = false;
  g.kill().addCallback(() => {
    fired = true;
  });
  vh.hub.flush();
  await nextTurn();
  return fired;
}

describe('Greenlet.signal with a throwing listener', () => {
  it('an abort listener that throws reports to the hub, and the kill and the listeners after it go on', async () => {
    const vh = makeVirtualHub();
    const g = parked(vh);
    const boom = new Error('listener boom');
    const ran: string[] = [];
    g.signal.addEventListener('abort', () => {
      ran.push('first');
      throw boom;
    });
    g.signal.addEventListener('abort', () => ran.push('second'));
    expect(await killAndSettle(vh, g)).toBe(true);
    expect(g.dead).toBe(true);
    expect(g.value).toBeInstanceOf(GreenletExit);
    expect(ran).toEqual(['first', 'second']);
    expect(vh.errors).toEqual([boom]);
  });

  it('an onabort handler that throws reports to the hub, and reads back as the function set', async () => {
    const vh = makeVirtualHub();
    const g = parked(vh);
    const boom = new Error('onabort boom');
    const handler = (): void => {
      throw boom;
    };
    g.signal.onabort = handler;
    expect(g.signal.onabort).toBe(handler);
    expect(await killAndSettle(vh, g)).toBe(true);
    expect(g.dead).toBe(true);
    expect(vh.errors).toEqual([boom]);
  });

  it('a listener object whose handleEvent throws reports to the hub', async () => {
    const vh = makeVirtualHub();
    const g = parked(vh);
    const boom = new Error('handleEvent boom');
    const seen: unknown[] = [];
    g.signal.addEventListener('abort', {
      handleEvent(event: Event) {
        seen.push(event.type);
        throw boom;
      },
    });
    expect(await killAndSettle(vh, g)).toBe(true);
    expect(seen).toEqual(['abort']);
    expect(vh.errors).toEqual([boom]);
  });

  it('a listener added twice runs once, and a removed one does not run', async () => {
    const vh = makeVirtualHub();
    const g = parked(vh);
    const ran: string[] = [];
    const twice = (): void => {
      ran.push('twice');
    };
    const removed = (): void => {
      ran.push('removed');
    };
    g.signal.addEventListener('abort', twice);
    g.signal.addEventListener('abort', twice);
    g.signal.addEventListener('abort', removed);
    g.signal.removeEventListener('abort', removed);
    expect(await killAndSettle(vh, g)).toBe(true);
    expect(ran).toEqual(['twice']);
    expect(vh.errors).toEqual([]);
  });

  it('the signal still ends foreign waits given it (a timer) and composes with AbortSignal.any', async () => {
    const vh = makeVirtualHub();
    const outcome: string[] = [];
    const g = vh.hub.spawn(async () => {
      try {
        await sleepFor(60_000, undefined, { signal: g.signal });
        outcome.push('slept');
      } catch (error: unknown) {
        outcome.push((error as Error).name);
        throw error;
      }
    });
    vh.hub.flush();
    await nextTurn();
    const any = AbortSignal.any([g.signal]);
    void g.kill();
    for (let i = 0; i < 3; i++) {
      vh.hub.flush();
      await nextTurn();
    }
    expect(any.aborted).toBe(true);
    expect(outcome).toEqual(['AbortError']);
    expect(g.dead).toBe(true);
  });
});
