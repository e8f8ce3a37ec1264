/**
 * Redis out of reach — never there, or gone mid-call — ends what waits on it with `RemoteUnavailableError` (a named
 * error with a stable code, through the Deferred), never a hang; and `stop()` / a host's `close()` still end with
 * no open handle. Against a path where no server listens, and a real redis-server this file stops mid-call.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemoteUnavailableError, ReactorStoppedError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend, runRemoteWorker } from '../../src/remote-bullmq/index.js';
import * as fx from '../fixtures/remote-tasks.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { firingCounter } from '../helpers/deferred-results.js';
import { nextWord, remoteFixtureModule, startRemoteTestBed, type RemoteTestBed } from '../helpers/redis-server.js';

const unreachableMs = 300;
let emptyDir: string;
let nowhere: { path: string };

beforeAll(() => {
  emptyDir = mkdtempSync(join(tmpdir(), 'greenreactor-no-redis-'));
  nowhere = { path: join(emptyDir, 'nobody-listens.sock') };
});

afterAll(() => rmSync(emptyDir, { recursive: true, force: true }));

describe('bullmqBackend with no Redis to reach', () => {
  it('errbacks RemoteUnavailableError (ERR_REMOTE_UNAVAILABLE) once unreachableMs passed, then fails new calls at once', async () => {
    const errors: unknown[] = [];
    const reactor = new Reactor({ remote: bullmqBackend({ connection: nowhere, queue: 'nowhere', unreachableMs, onError: (e) => errors.push(e) }) });
    const first = reactor.deferToRemote(fx.add, 1, 2);
    const firings = firingCounter(first);
    const error = await failureOf(first);
    expect(error).toBeInstanceOf(RemoteUnavailableError);
    expect(error.code).toBe('ERR_REMOTE_UNAVAILABLE');
    expect(error.message).toContain(nowhere.path);
    expect(error.message).toContain(`${unreachableMs} ms`);
    const second = reactor.deferToRemote(fx.add, 3, 4);
    expect(second.called).toBe(true); // at once: no second wait while Redis is known to be out of reach
    expect(await failureOf(second)).toBeInstanceOf(RemoteUnavailableError);
    expect(reactor.stats().remote!.inFlight).toBe(0);
    await reactor.stop();
    expect(firings.count).toBe(1);
    expect(errors.length).toBe(1); // one report per outage, not one per reconnect attempt
  });

  it('stop() with a call still waiting for Redis resolves and errbacks it ReactorStoppedError', async () => {
    const reactor = new Reactor({ remote: bullmqBackend({ connection: nowhere, queue: 'nowhere', unreachableMs: 60_000, onError: () => undefined }) });
    const waiting = reactor.deferToRemote(fx.add, 1, 2);
    await reactor.stop({ graceMs: 0 });
    expect(await failureOf(waiting)).toBeInstanceOf(ReactorStoppedError);
  });

  it('a call whose enqueue fails because stop() gave up reconnecting errbacks ReactorStoppedError, and stop() ends without waiting out the grace', async () => {
    const reactor = new Reactor({ remote: bullmqBackend({ connection: nowhere, queue: 'nowhere', unreachableMs: 60_000, onError: () => undefined }) });
    const waiting = reactor.deferToRemote(fx.add, 1, 2);
    const firings = firingCounter(waiting);
    // The grace outlasts the next reconnect attempt (at most 1 s away), which gives up because the backend is closing;
    // the failed enqueue then drains the backend (it used to signal the drain twice, and the second one threw).
    await reactor.stop({ graceMs: 30_000 });
    const error = await failureOf(waiting);
    expect(error).toBeInstanceOf(ReactorStoppedError);
    expect(error.message).toContain('before task `add` was enqueued');
    expect(firings.count).toBe(1);
  });
});

describe('runRemoteWorker with no Redis to reach', () => {
  it('rejects with RemoteUnavailableError after unreachableMs, leaving nothing open', async () => {
    const start = runRemoteWorker({ connection: nowhere, queue: 'nowhere', imports: [remoteFixtureModule], unreachableMs, onError: () => undefined });
    await expect(start).rejects.toBeInstanceOf(RemoteUnavailableError);
  });
});

describe('a Redis server that stops while a call is in flight', () => {
  let bed: RemoteTestBed;

  beforeAll(async () => {
    bed = await startRemoteTestBed('gone', { host: { onError: () => undefined }, backend: { unreachableMs, onError: () => undefined } });
  });

  afterAll(() => bed?.stop());

  it('errbacks the call RemoteUnavailableError, and stop() and the host close() still end', async () => {
    const call = bed.reactor.deferToRemote(fx.reportThenSleep, bed.redis.socket, 'gone:words', 200);
    const firings = firingCounter(call);
    expect(await nextWord(bed.watcher, 'gone:words')).toBe('started');
    bed.watcher.disconnect();
    await bed.redis.stop();
    const error = await failureOf(call);
    expect(error).toBeInstanceOf(RemoteUnavailableError);
    await bed.reactor.stop();
    await bed.host!.close();
    expect(firings.count).toBe(1);
  });
});
