/**
 * Review attacks: a floating async branch inside a greenlet (an `async` helper started without `await`, `void
 * branch()`) that makes hub waits while the greenlet's main line awaits a hub wait of its own. A greenlet has one
 * line of control (SPEC §6.1: "its pending hub wait", "the wait it awaits"); the hub sees one greenlet whose code
 * runs on while it awaits a hub wait, which is also what a lost `Promise.race` over a hub wait looks like. So the
 * wait it awaited is released (it leaves its line, gives back what it was served) and its pending await rejects
 * with a `ConcurrentWaitError` — into a race already decided, where nobody sees it, or into the line of code that
 * still awaits it, which fails at once with a named error instead of hanging forever beyond kill() and stop().
 */
import { describe, expect, it } from '@jest/globals';
import { ConcurrentWaitError, GreenletExit } from '../../src/errors.js';
import type { Hub } from '../../src/green/hub.js';
import { Queue } from '../../src/green/queue.js';
import type { Clock } from '../../src/time/clock.js';
import { settleHub } from '../helpers/settle-hub.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { expectNoUnhandledRejections } from '../helpers/unhandled-rejections.js';

expectNoUnhandledRejections(); // a floating branch dropped by the hub must not become one

/** A foreign Promise the test settles: what a branch awaits before it makes its hub wait. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/** Let the branch's sleeps fire: the hub's clock moves on in steps, the hub runs between them. */
async function sleepsFire(hub: Hub, clock: Clock): Promise<void> {
  for (let i = 0; i < 3; i++) {
    clock.advance(10);
    await settleHub(hub);
  }
}

describe('a floating async branch inside a greenlet', () => {
  it('makes the main line’s pending Queue.get await reject at once with ConcurrentWaitError, not hang', async () => {
    const { hub, clock, errors } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const branchGate = gate();
    const g = hub.spawn(async () => {
      const branch = async (): Promise<void> => {
        await branchGate.wait; // foreign: the main line awaits q.get() meanwhile
        await hub.sleep(10);
      };
      void branch();
      return await q.get();
    });
    await settleHub(hub);
    branchGate.open();
    await settleHub(hub);
    expect(g.dead).toBe(true);
    expect((g.exception as Error).name).toBe('ConcurrentWaitError');
    expect((g.exception as ConcurrentWaitError).code).toBe('ERR_CONCURRENT_WAIT');
    expect(errors).toEqual([g.exception]); // nobody observed it: reported once, as any escaping exception
    q.putNowait('item'); // the released get left its line: the item waits for the next getter
    await sleepsFire(hub, clock);
    expect(q.qsize()).toBe(1);
  });

  it('leaves kill() working: a main line that catches the error and waits again is killed there', async () => {
    const { hub, clock } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const branchGate = gate();
    const seen: string[] = [];
    const g = hub.spawn(async () => {
      const branch = async (): Promise<void> => {
        try {
          await branchGate.wait;
          await hub.sleep(10);
          await hub.sleep(10);
        } catch (error: unknown) {
          seen.push(`branch ${(error as Error).name}`); // caught: a void branch must not reject unhandled
        }
      };
      void branch();
      try {
        await q.get();
      } catch (error: unknown) {
        seen.push(`main ${(error as Error).name}`);
      }
      await hub.sleep(60_000);
    });
    await settleHub(hub);
    branchGate.open();
    await settleHub(hub);
    const killed = g.kill();
    await sleepsFire(hub, clock);
    expect(killed.called).toBe(true);
    expect(g.dead).toBe(true);
    expect(g.value).toBeInstanceOf(GreenletExit);
    expect(seen[0]).toBe('main ConcurrentWaitError');
  });

  it('a void branch still parked when the main line ends is dropped silently (no unhandled rejection)', async () => {
    const { hub, clock, errors } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const branchGate = gate();
    const steps: string[] = [];
    const g = hub.spawn(async () => {
      const branch = async (): Promise<void> => {
        await hub.sleep(10); // parks first: the main line's q.get() comes after, in the same run
        steps.push('branch woke');
        await hub.sleep(10);
        steps.push('branch woke again');
      };
      void branch();
      await branchGate.wait;
      return 'main done';
    });
    await settleHub(hub);
    branchGate.open();
    await sleepsFire(hub, clock);
    expect(g.value).toBe('main done');
    expect(errors).toEqual([]);
    expect(q.qsize()).toBe(0);
  });

  it('a branch that parks first and wakes while the main line awaits q.get() fails that await with ConcurrentWaitError, not CancelledError', async () => {
    const { hub, clock } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const g = hub.spawn(async () => {
      const branch = async (): Promise<void> => {
        await hub.sleep(10);
        await hub.sleep(10);
      };
      void branch();
      return await q.get();
    });
    await settleHub(hub);
    await sleepsFire(hub, clock);
    expect(g.dead).toBe(true);
    expect((g.exception as Error).name).toBe('ConcurrentWaitError');
    q.putNowait('item');
    expect(q.qsize()).toBe(1);
  });

  it('a branch whose hub wait was awaited first gets the ConcurrentWaitError when the main line waits, and the main line goes on', async () => {
    const { hub } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const seen: string[] = [];
    const g = hub.spawn(async () => {
      const branch = async (): Promise<void> => {
        try {
          await hub.sleep(10);
        } catch (error: unknown) {
          seen.push((error as Error).name);
        }
      };
      void branch();
      await Promise.resolve(); // the branch's await of its sleep comes first
      await Promise.resolve();
      return await q.get();
    });
    await settleHub(hub);
    q.putNowait('item');
    await settleHub(hub);
    expect(seen).toEqual(['ConcurrentWaitError']);
    expect(g.value).toBe('item');
  });

  it('a hub wait given a bare then(cb) a turn after it was made, then left for another, rejects that then’s Promise handled (no unhandled rejection)', async () => {
    const { hub, clock } = makeVirtualHub();
    const q = new Queue<string>(undefined, hub);
    const got: unknown[] = [];
    let chained: Promise<unknown> | null = null;
    const g = hub.spawn(async () => {
      const w = q.get();
      await Promise.resolve(); // a later microtask: the then below looks like an await to the hub
      await Promise.resolve();
      chained = w.then((v) => got.push(v)); // no onRejected: the Promise it returns is the caller's to handle
      await hub.sleep(10);
      return 'done';
    });
    await settleHub(hub);
    clock.advance(10);
    await settleHub(hub);
    expect(g.value).toBe('done');
    q.putNowait('item'); // the left get is out of the line: the item stays
    await settleHub(hub);
    expect([got, q.qsize()]).toEqual([[], 1]);
    await expect(chained).rejects.toMatchObject({ name: 'ConcurrentWaitError' }); // still there for a caller who looks
  });
});
