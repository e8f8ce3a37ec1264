/**
 * A worker host's `close()` while Redis is down ends promptly — it does not wait `unreachableMs` for a server that
 * may come back to save its running jobs' results (it aborts them) — with no open handle. Against a real
 * redis-server this file stops while a host runs a long task.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ReactorStoppedError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend, runRemoteWorker, type RemoteWorker } from '../../src/remote-bullmq/index.js';
import * as fx from '../fixtures/remote-tasks.js';
import { firingCounter } from '../helpers/deferred-results.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { nextWord, remoteFixtureModule, startRedis, type TestRedis } from '../helpers/redis-server.js';

/** Far over the test's timeout: a close that waited it out would fail the test. */
const unreachableMs = 120_000;
let redis: TestRedis;
let host: RemoteWorker;
let reactor: Reactor;

beforeAll(async () => {
  redis = await startRedis();
  host = await runRemoteWorker({ connection: redis.connection, queue: 'down', imports: [remoteFixtureModule], unreachableMs, onError: () => undefined });
  reactor = new Reactor({ remote: bullmqBackend({ connection: redis.connection, queue: 'down', unreachableMs, onError: () => undefined }) });
});

afterAll(async () => {
  await reactor?.stop({ graceMs: 0 });
  await host?.close();
  await redis?.stop();
});

describe('a worker host closed while Redis is down', () => {
  it('close() ends without waiting unreachableMs for the server to save its running job, and the caller\'s stop() still errbacks the call ReactorStoppedError once', async () => {
    const call = reactor.deferToRemote(fx.reportThenSleep, redis.socket, 'down:words', 600_000);
    const firings = firingCounter(call);
    const watcher = redis.client();
    expect(await nextWord(watcher, 'down:words')).toBe('started');
    watcher.disconnect();
    await redis.stop();
    await host.close();
    await reactor.stop({ graceMs: 0 });
    expect(await failureOf(call)).toBeInstanceOf(ReactorStoppedError);
    expect(firings.count).toBe(1);
  });
});
