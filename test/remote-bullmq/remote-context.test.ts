/**
 * Context carriers on the remote route (SPEC §10): the caller's carried context travels with the job, the host
 * restores it around the task (so its thread sees it too), and what cannot travel fails by name, unrun.
 * Against a real redis-server and two host processes: one serving the context fixtures (so it registers their
 * carrier, as a user's host does by importing the task module), one that never registered it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defineContextCarrier } from '../../src/context/context-carrier.js';
import { ContextCarrierError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend } from '../../src/remote-bullmq/index.js';
import * as ctx from '../fixtures/context-tasks.js';
import * as fx from '../fixtures/remote-tasks.js';
import { startRemoteTestBed, type RemoteTestBed } from '../helpers/redis-server.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { startHostProcess, type HostProcess } from './remote-host-process.js';

const contextFixtureModule = fileURLToPath(new URL('../../dist/test/fixtures/context-tasks.js', import.meta.url));

/** A carrier whose captured value cannot be serialized (a function), set only by the test that needs it. */
const liveObject = new AsyncLocalStorage<() => void>();
defineContextCarrier('test.remote.liveObject', { capture: () => liveObject.getStore(), restore: (_value, run) => run() });

let bed: RemoteTestBed;
const hosts: HostProcess[] = [];
let bareReactor: Reactor;

beforeAll(async () => {
  bed = await startRemoteTestBed('context', { host: false });
  bareReactor = new Reactor({ remote: bullmqBackend({ reconcileMs: 200, connection: bed.redis.connection, queue: 'context-bare' }) });
  hosts.push(
    ...(await Promise.all([
      startHostProcess(bed.redis.url, 'context', ['--import', contextFixtureModule, '--concurrency', '2']),
      // Imports only the remote fixtures: it never registered the context fixtures' carrier.
      startHostProcess(bed.redis.url, 'context-bare'),
    ])),
  );
});

afterAll(async () => {
  await bareReactor?.stop({ graceMs: 0 });
  await Promise.all(hosts.map((host) => host.kill('SIGTERM')));
  await bed?.stop();
});

describe('Reactor.deferToRemote() with context carriers', () => {
  it("runs each task inside its own caller's carried context: 100 concurrent requests, each sees only its own", async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `request-${i}`);
    const seen = await Promise.all(ids.map((id) => ctx.requestId.run(id, () => bed.reactor.deferToRemote(ctx.whoAmI).asPromise())));
    expect(seen).toEqual(ids);
  });

  it('keeps the context across the task’s own awaits on the host', async () => {
    await expect(ctx.requestId.run('after-await', () => bed.reactor.deferToRemote(ctx.whoAmIAfterAwait).asPromise())).resolves.toBe('after-await');
  });

  it('carries nothing when the caller has no value: the task sees no store', async () => {
    await expect(bed.reactor.deferToRemote(ctx.whoAmI).asPromise()).resolves.toBeNull();
  });

  it('errbacks ContextCarrierError naming the carrier when a captured value cannot be serialized; nothing is enqueued', async () => {
    const calls = bed.reactor.stats().remote?.calls ?? 0;
    const error = await failureOf(liveObject.run(() => undefined, () => bed.reactor.deferToRemote(ctx.whoAmI)));
    expect(error).toBeInstanceOf(ContextCarrierError);
    expect((error as ContextCarrierError).carrier).toBe('test.remote.liveObject');
    expect(error.message).toContain('nothing was enqueued');
    const stats = bed.reactor.stats().remote!;
    expect({ calls: stats.calls - calls, inFlight: stats.inFlight }).toEqual({ calls: 1, inFlight: 0 });
  });

  it('errbacks ContextCarrierError, unrun, when the host never registered a carried carrier', async () => {
    const error = await failureOf(ctx.requestId.run('r-1', () => bareReactor.deferToRemote(fx.echo, 'never echoed')));
    expect(error).toBeInstanceOf(ContextCarrierError);
    expect(error.message).toContain('`test.requestId` is not registered');
  });
});
