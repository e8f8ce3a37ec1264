/**
 * Review attacks: a greenlet killed from a callback of the very wait it parks on, while the primitive serves it
 * (the callback runs inside `set()`, `putNowait()`, `release()`), the wait bare or wrapped in `withTimeout`. The
 * greenlet dies once with the kill, `kill()` fires, and what was served is not lost: a Queue item or a token the
 * dying greenlet never ran with is there for the next taker.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Deferred } from '../../src/deferred/deferred.js';
import { AsyncResult } from '../../src/green/async-result.js';
import { Event } from '../../src/green/event.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import type { Hub } from '../../src/green/hub.js';
import { Queue } from '../../src/green/queue.js';
import { Semaphore } from '../../src/green/semaphore.js';
import { withTimeout } from '../../src/green/with-timeout.js';
import { GreenletExit } from '../../src/errors.js';
import { waiterKinds, type WaiterKind } from '../green/fixtures/served-waiter.js';
import { settleHub } from '../helpers/settle-hub.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

/** A primitive: how to wait on it, how to serve the wait, and what is left for the next taker afterwards. */
interface Case {
  make: (hub: Hub) => { wait: () => Deferred<unknown>; serve: () => void; left: () => unknown };
  left: unknown;
}

const cases: [string, Case][] = [
  ['Event.wait', { make: (hub) => { const e = new Event(hub); return { wait: () => e.wait(), serve: () => e.set(), left: () => e.isSet() }; }, left: true }],
  ['AsyncResult.get', { make: (hub) => { const r = new AsyncResult<string>(hub); return { wait: () => r.get(), serve: () => r.set('v'), left: () => r.value }; }, left: 'v' }],
  ['Queue.get', { make: (hub) => { const q = new Queue<string>(undefined, hub); return { wait: () => q.get(), serve: () => q.putNowait('item'), left: () => q.qsize() }; }, left: 1 }],
  ['Semaphore.acquire', { make: (hub) => { const s = new Semaphore(0, hub); return { wait: () => s.acquire(), serve: () => s.release(), left: () => s.counter }; }, left: 1 }],
];

const wraps: [string, (d: Deferred<unknown>, hub: Hub) => Deferred<unknown>][] = [
  ['bare', (d) => d],
  ['in withTimeout', (d, hub) => withTimeout(d, 60_000, hub)],
];

function spawnOn(hub: Hub, kind: WaiterKind, wait: () => Deferred<unknown>, after: string[]): Greenlet<void> {
  if (kind === 'generator') {
    return hub.spawn(function* () {
      yield wait();
      after.push('ran on');
    });
  }
  return hub.spawn(async () => {
    await wait();
    after.push('ran on');
  });
}

describe.each(waiterKinds)('a %s greenlet killed by a callback of its own wait while it is served', (kind) => {
  describe.each(cases)('%s', (_name, c) => {
    it.each(wraps)('%s: it dies once with the kill, kill() fires, and what was served is left', async (_w, wrap) => {
      const { hub, errors } = makeVirtualHub();
      const p = c.make(hub);
      const after: string[] = [];
      let killed: boolean | null = null;
      const g: Greenlet<void> = spawnOn(hub, kind, () =>
        wrap(p.wait(), hub).addBoth((r) => {
          killed = false;
          g.kill().addCallback(() => {
            killed = true;
          });
          return r;
        }),
      after);
      await settleHub(hub);
      p.serve();
      await settleHub(hub);
      expect([g.dead, (g.value as unknown) instanceof GreenletExit, killed, after, errors]).toStrictEqual([true, true, true, [], []]);
      expect(p.left()).toStrictEqual(c.left);
    });
  });
});
