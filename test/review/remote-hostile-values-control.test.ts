/**
 * Hostile values on the remote route — a revoked Proxy, an object whose `message` getter throws, a null-prototype
 * object — as what a call's arguments or carried context throw when serialized, and as a task's result or error on its
 * host: each call errbacks a named error through its Deferred (the brief: bad input gets a clear named error, never a
 * crash), and `runRemoteWorker` refuses such an option with a TypeError naming it.
 *
 * Found: `node:v8` serialization rethrows whatever a getter of an argument throws, and the caller's messages read that
 * thrown value's `message` (`(cause as Error)?.message ?? String(cause)`): for a revoked Proxy, or an object whose
 * `message` getter throws, building the DataCloneError (or ContextCarrierError) threw a TypeError out of
 * `deferToRemote` itself. Against a real redis-server and an in-process host.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AsyncLocalStorage } from 'node:async_hooks';
import { defineContextCarrier } from '../../src/context/context-carrier.js';
import { ContextCarrierError, DataCloneError } from '../../src/errors.js';
import { runRemoteWorker, type RemoteWorkerOptions } from '../../src/remote-bullmq/index.js';
import * as fx from '../fixtures/remote-tasks.js';
import * as rv from '../fixtures/remote-review-tasks.js';
import * as tr from '../fixtures/thread-review-tasks.js';
import { revokedProxy } from '../helpers/hostile-values.js';
import { built, settled } from '../threads/thread-test-kit.js';
import { remoteFixtureModule, startRemoteTestBed, type RemoteTestBed } from '../helpers/redis-server.js';

const queue = 'hostile-values';
let bed: RemoteTestBed;

beforeAll(async () => {
  const fixtures = ['./thread-review-tasks.js', './remote-review-tasks.js'].map((name) => new URL(name, remoteFixtureModule));
  bed = await startRemoteTestBed(queue, { host: { imports: [remoteFixtureModule, ...fixtures] } });
});

afterAll(() => bed?.stop());

/** What a getter throws, by kind. */
const thrown: Record<string, () => unknown> = {
  'a revoked Proxy': () => revokedProxy(),
  'an object whose message getter throws': () => ({
    get message(): string {
      throw new RangeError('message getter broke');
    },
  }),
  'a null-prototype object': () => Object.create(null) as object,
};

/** An object whose `value` getter throws what `kind` makes (node:v8 serialization rethrows it). */
function throwingWhenSerialized(kind: string): object {
  return {
    get value(): unknown {
      throw thrown[kind]!();
    },
  };
}

const hostileStore = new AsyncLocalStorage<unknown>();
defineContextCarrier('review.hostileValue', { capture: () => hostileStore.getStore(), restore: (_value, run) => run() });

describe('deferToRemote with an argument whose serialization throws', () => {
  it.each(Object.keys(thrown))('%s: errbacks DataCloneError naming argument 0, never throws, nothing enqueued', async (kind) => {
    const before = bed.reactor.stats().remote!.calls;
    let d: ReturnType<typeof bed.reactor.deferToRemote> | undefined;
    expect(() => (d = bed.reactor.deferToRemote(fx.echo, throwingWhenSerialized(kind)))).not.toThrow();
    const outcome = await settled(d!);
    expect(outcome).toMatchObject({ ok: false, error: expect.any(DataCloneError) });
    expect((outcome as { error: Error }).error.message).toMatch(/argument 0 cannot be serialized.*nothing was enqueued/);
    expect(bed.reactor.stats().remote).toMatchObject({ calls: before + 1, inFlight: 0 });
  });
});

describe('deferToRemote whose carried context throws when serialized', () => {
  it.each(Object.keys(thrown))('%s: errbacks ContextCarrierError naming the carrier, never throws', async (kind) => {
    let d: ReturnType<typeof bed.reactor.deferToRemote> | undefined;
    expect(() => hostileStore.run(throwingWhenSerialized(kind), () => (d = bed.reactor.deferToRemote(fx.add, 1, 2)))).not.toThrow();
    const outcome = await settled(d!);
    expect(outcome).toMatchObject({ ok: false, error: expect.any(ContextCarrierError) });
    expect((outcome as { error: Error }).error.message).toMatch(/review\.hostileValue/);
  });
});

describe('a task whose result or error is a revoked Proxy, on its host', () => {
  it('returned: errbacks what the thread path errbacks (its host runs it on a thread), and the host serves on', async () => {
    const outcome = await settled(bed.reactor.deferToRemote(tr.returnHostile, new Int32Array(1), 'revoked proxy', false));
    const onThread = await settled(bed.reactor.deferToThread(built(tr.returnHostile), new Int32Array(1), 'revoked proxy', false));
    expect(onThread.ok).toBe(false);
    const described = (o: typeof outcome): unknown => (o.ok ? o : { name: (o.error as Error).name, message: (o.error as Error).message });
    expect(described(outcome)).toEqual(described(onThread));
    await expect(bed.reactor.deferToRemote(fx.add, 2, 3).asPromise()).resolves.toBe(5);
  });

  it('thrown: errbacks with it described, as on the thread path (not a TypeError from a handler), and the host serves on', async () => {
    const outcome = await settled(bed.reactor.deferToRemote(tr.throwHostile, new Int32Array(1), 'revoked proxy', false));
    expect(outcome).toMatchObject({ ok: false, error: '[object]' });
    await expect(bed.reactor.deferToRemote(fx.add, 2, 3).asPromise()).resolves.toBe(5);
  });
});

describe('a task that throws an error whose cause chain is a cycle', () => {
  it.each(['self', 'pair'] as const)('(%s) errbacks it with a finite cause chain (followed as deep as the thread path follows it), and the host serves on', async (kind) => {
    const outcome = await settled(bed.reactor.deferToRemote(rv.throwCyclicCause, kind));
    expect(outcome.ok).toBe(false);
    const messages: unknown[] = [];
    for (let e: unknown = (outcome as { error: unknown }).error; e instanceof Error && messages.length < 100; e = e.cause) messages.push(e.message);
    expect(messages[0]).toBe('outer');
    expect(messages.length).toBeGreaterThan(1);
    expect(messages.length).toBeLessThan(100);
    expect(messages.every((m, i) => m === (kind === 'self' || i % 2 === 0 ? 'outer' : 'inner'))).toBe(true);
    await expect(bed.reactor.deferToRemote(fx.add, 2, 3).asPromise()).resolves.toBe(5);
  });
});

describe('runRemoteWorker with a cancelGraceMs that cannot be printed', () => {
  it.each([['a revoked Proxy', revokedProxy()], ['a null-prototype object', Object.create(null) as object]])('%s: rejects with a TypeError naming cancelGraceMs', async (_kind, value) => {
    const options = { connection: bed.redis.connection, queue, imports: [remoteFixtureModule], cancelGraceMs: value } as unknown as RemoteWorkerOptions;
    await expect(runRemoteWorker(options)).rejects.toThrow(/Expected `cancelGraceMs` to be a finite number >= 0/);
  });
});
