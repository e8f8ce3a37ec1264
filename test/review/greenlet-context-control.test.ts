/**
 * Review pins: a greenlet killed from code in another async context still runs its `finally` — across foreign
 * awaits and hub waits in it — in its spawner's context, with `getCurrent()` exact, and its links run in that context
 * when it dies in its own step (not the killer's, the linker's or the hub's).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Event } from '../../src/green/event.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

describe('a greenlet killed from another async context', () => {
  it('async: its finally sees its spawner\'s store and itself as current, after foreign awaits and a hub wait; its link too', async () => {
    const { hub } = makeVirtualHub();
    const als = new AsyncLocalStorage<string>();
    const e = new Event(hub);
    const seen: string[] = [];
    const look = (where: string): void => {
      seen.push(`${where}: ${String(als.getStore())} ${hub.getCurrent() === g ? 'current' : 'not current'}`);
    };
    let parked!: () => void;
    const atWait = new Promise<void>((resolve) => (parked = resolve));
    const g: Greenlet<void> = als.run('spawner', () =>
      hub.spawn(async () => {
        try {
          await nextTurn(); // foreign
          const w = e.wait();
          parked();
          await w;
        } finally {
          look('finally');
          await nextTurn(); // foreign, inside finally
          look('after a foreign await');
          await hub.cooperate(); // a hub wait, inside finally
          look('after a hub wait');
        }
      }),
    );
    als.run('linker', () => g.link(() => seen.push(`link: ${String(als.getStore())}`)));
    hub.flush();
    await atWait;
    await als.run('killer', () => g.kill());
    expect(seen).toEqual([
      'finally: spawner current',
      'after a foreign await: spawner current',
      'after a hub wait: spawner current',
      'link: spawner',
    ]);
  });

  it('generator: its finally, which yields again, runs in its spawner\'s context; its link too', () => {
    const { hub } = makeVirtualHub();
    const als = new AsyncLocalStorage<string>();
    const e = new Event(hub);
    const seen: string[] = [];
    const g = als.run('spawner', () =>
      hub.spawn(function* () {
        try {
          yield e.wait();
        } finally {
          seen.push(`finally: ${String(als.getStore())}`);
          yield;
          seen.push(`after a yield: ${String(als.getStore())}`);
        }
      }),
    );
    als.run('linker', () => g.link(() => seen.push(`link: ${String(als.getStore())}`)));
    hub.flush();
    void als.run('killer', () => g.kill());
    als.run('flusher', () => hub.flush());
    expect(seen).toEqual(['finally: spawner', 'after a yield: spawner', 'link: spawner']);
  });
});
