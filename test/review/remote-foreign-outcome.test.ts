/**
 * Adversarial tests of a job that ends without an outcome a greenreactor host writes: a BullMQ worker that is not a
 * greenreactor host serving the queue (another service, an old deployment), or a host of another version, returns
 * something else. SPEC §11 and §3: each Deferred fires exactly once, bad input errbacks a named error. The caller
 * must not wait forever for an outcome that will never come, on the event path or the reconcile poll. Against a real
 * redis-server and a plain BullMQ `Worker` standing in for the foreign host.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Worker } from 'bullmq';
import { serialize } from 'node:v8';
import { DataCloneError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend } from '../../src/remote-bullmq/index.js';
import { Deferred } from '../../src/deferred/deferred.js';
import { realTimeScheduler } from '../../src/time/real-time-scheduler.js';
import * as fx from '../fixtures/remote-tasks.js';
import { firingCounter } from '../helpers/deferred-results.js';
import { startRemoteTestBed, type RemoteTestBed } from '../helpers/redis-server.js';

const queue = 'foreign';
/** How long a call may take before the test fails instead of hanging (generous: a loaded machine). */
const boundMs = 15_000;

let bed: RemoteTestBed;
let foreign: Worker;
/** What the foreign worker returns for the next job. */
let reply: unknown;
const reactors: Reactor[] = [];

beforeAll(async () => {
  bed = await startRemoteTestBed(queue, { host: false });
  foreign = new Worker(queue, () => Promise.resolve(reply), { connection: bed.redis.connection });
  await foreign.waitUntilReady();
});

afterAll(async () => {
  await Promise.all(reactors.map((r) => r.stop({ graceMs: 0 })));
  await foreign?.close();
  await bed?.stop();
});

function reactorFor(dropEvents: boolean): Reactor {
  if (!dropEvents) return bed.reactor;
  const r = new Reactor({ remote: bullmqBackend({ connection: bed.redis.connection, queue, reconcileMs: 100, faults: { dropEvents } }) });
  reactors.push(r);
  return r;
}

describe('a job a foreign worker completed', () => {
  it.each([
    ['a plain number', 42, 'event'],
    ['nothing (undefined)', undefined, 'event'],
    ['an error outcome whose error is null', { s: 'error', e: serialize(null).toString('base64') }, 'event'],
    ['an error outcome whose error is not text', { s: 'error', e: 7 }, 'event'],
    ['a plain number', 42, 'reconcile'],
    ['an error outcome whose error is null', { s: 'error', e: serialize(null).toString('base64') }, 'reconcile'],
  ] as Array<[string, unknown, 'event' | 'reconcile']>)('returning %s (%p), read by the %s path, errbacks DataCloneError naming the task, once', async (_what, value, path) => {
    reply = value;
    const d = reactorFor(path === 'reconcile').deferToRemote(fx.add, 1, 2);
    const firings = firingCounter(d);
    const outcome = await Deferred.fromPromise(d.asPromise().then(
      (v: unknown) => ({ v }),
      (e: unknown) => ({ e }),
    )).addTimeout(boundMs, realTimeScheduler).asPromise();
    expect(outcome).toHaveProperty('e');
    const error = (outcome as { e: DataCloneError }).e;
    expect(error).toBeInstanceOf(DataCloneError);
    expect(error.task).toBe('add');
    expect(error.message).toMatch(/task `add`/);
    expect(firings.count).toBe(1);
  });

  it('returning an ok outcome without run times (a host of another version) delivers its value, once', async () => {
    reply = { s: 'ok', v: serialize(3).toString('base64') };
    const d = bed.reactor.deferToRemote(fx.add, 1, 2);
    const firings = firingCounter(d);
    await expect(Deferred.fromPromise(d.asPromise()).addTimeout(boundMs, realTimeScheduler).asPromise()).resolves.toBe(3);
    expect(firings.count).toBe(1);
  });
});
