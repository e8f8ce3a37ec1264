/**
 * Review attacks on "nothing takes the user's process down": an async greenlet chains `then(cb)` on a hub wait it
 * made, without a rejection handler and without awaiting the Promise it gets (as `addCallback` is used), and is
 * killed. The kill rejects that wait, but a kill is not the chain's error: it must not surface as an unhandled
 * rejection, which ends a Node process by default. (A greenlet that does await such a chain still gets the kill:
 * test/green/hub-async-ownership.test.ts.)
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { Event } from '../../src/green/event.js';
import { GreenletExit } from '../../src/errors.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

afterEach(async () => {
  process.off('unhandledRejection', onUnhandled);
  unhandled.length = 0;
  await nextTurn();
});

/** Listen for unhandled rejections from now on. */
function watchUnhandled(): void {
  process.on('unhandledRejection', onUnhandled);
}

/** Let Node report unhandled rejections (it does so after the microtask queue drains). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await nextTurn();
}

describe('a then(cb) chain on a hub wait, neither handled nor awaited, when its async greenlet is killed', () => {
  it('chained in the run that made the wait: no unhandled rejection, the greenlet dies at its next hub wait', async () => {
    watchUnhandled();
    const { hub } = makeVirtualHub();
    const e = new Event(hub);
    const ran: string[] = [];
    const inForeign = new Deferred<void>();
    const foreign = new Deferred<void>();
    const g = hub.spawn(async () => {
      void e.wait().then(() => ran.push('cb'));
      void e.wait().then(() => ran.push('cb 2'));
      inForeign.callback(undefined);
      await foreign;
      await hub.cooperate();
      ran.push('past its next hub wait');
    });
    await inForeign;
    const killed = g.kill();
    foreign.callback(undefined);
    await killed;
    await settle();
    expect(unhandled).toEqual([]);
    expect(ran).toEqual([]);
    expect(g.value).toBeInstanceOf(GreenletExit);
  });
});
