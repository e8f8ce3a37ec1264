/**
 * Adversarial tests of the remote route's options: `bullmqBackend` and `runRemoteWorker` read each option once,
 * when they are called (a getter read later, after an await or at connect, sees whatever the caller changed since),
 * and refuse a bad one there with a `TypeError` naming it — never a crash later (an `onError` that is not a
 * function was called on the first connection error, throwing from an ioredis event: an uncaught exception), and
 * never a silent wrong server (a `connection` whose fields are getters of a class, or of the wrong type). SPEC §11,
 * house style (validation messages name the option). Against a real redis-server.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend, runRemoteWorker, type BullmqBackendOptions, type RemoteWorkerOptions } from '../../src/remote-bullmq/index.js';
import * as fx from '../fixtures/remote-tasks.js';
import { remoteFixtureModule, startRedis, type TestRedis } from '../helpers/redis-server.js';

let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(() => redis?.stop());

/** `options` with each field turned into a getter that counts its reads into `reads`. */
function counted<T extends object>(options: T, reads: Record<string, number>): T {
  const out = {} as T;
  for (const [key, value] of Object.entries(options)) {
    reads[key] = 0;
    Object.defineProperty(out, key, {
      enumerable: true,
      get: () => {
        reads[key]!++;
        return value as unknown;
      },
    });
  }
  return out;
}

/** A connection whose fields are getters of its class (not own properties). */
class SocketConnection {
  readonly #socket: string;
  constructor(socket: string) {
    this.#socket = socket;
  }
  get path(): string {
    return this.#socket;
  }
}

const badBackendOptions: Array<[string, Partial<BullmqBackendOptions>, RegExp]> = [
  ['an onError that is not a function', { onError: 'log' as never }, /`onError`/],
  ['an empty prefix', { prefix: '' }, /`prefix`/],
  ['a prefix that is not a string', { prefix: 5 as never }, /`prefix`/],
  ['faults that are not an object', { faults: 5 as never }, /`faults`/],
  ['a socket path that is not a string', { connection: { path: 5 as never } }, /`connection.path`/],
  ['a port that is not a port number', { connection: { port: 'abc' as never } }, /`connection.port`/],
  ['a host that is not a string', { connection: { host: 5 as never } }, /`connection.host`/],
];

describe('bullmqBackend()', () => {
  it.each(badBackendOptions)('throws TypeError naming the option for %s', (_what, bad, named) => {
    expect(() => bullmqBackend({ connection: redis.connection, queue: 'opts', ...bad })).toThrow(named);
    expect(() => bullmqBackend({ connection: redis.connection, queue: 'opts', ...bad })).toThrow(TypeError);
  });

  it('reads each option once, when it is called, never again while it connects and serves', async () => {
    const reads: Record<string, number> = {};
    const host = await runRemoteWorker({ connection: redis.connection, queue: 'opts-backend', imports: [remoteFixtureModule] });
    const backend = bullmqBackend(
      counted({ connection: redis.connection, queue: 'opts-backend', reconcileMs: 200, unreachableMs: 10_000, prefix: 'bull', onError: () => undefined, faults: {} }, reads),
    );
    const atCall = { ...reads };
    const reactor = new Reactor({ remote: backend });
    try {
      await expect(reactor.deferToRemote(fx.add, 1, 2).asPromise()).resolves.toBe(3);
    } finally {
      await reactor.stop({ graceMs: 0 });
      await host.close();
    }
    expect(Object.values(atCall).every((n) => n === 1)).toBe(true);
    expect(reads).toEqual(atCall);
  });

  it('connects to the socket a connection class names by a getter', async () => {
    const host = await runRemoteWorker({ connection: redis.connection, queue: 'opts-class', imports: [remoteFixtureModule] });
    const reactor = new Reactor({ remote: bullmqBackend({ connection: new SocketConnection(redis.socket) as unknown as { path: string }, queue: 'opts-class', unreachableMs: 5000, onError: () => undefined }) });
    try {
      await expect(reactor.deferToRemote(fx.add, 2, 3).asPromise()).resolves.toBe(5);
    } finally {
      await reactor.stop({ graceMs: 0 });
      await host.close();
    }
  });
});

describe('runRemoteWorker()', () => {
  it.each([
    ['an onError that is not a function', { onError: 5 as never }, /`onError`/],
    ['an empty prefix', { prefix: '' }, /`prefix`/],
    ['a socket path that is not a string', { connection: { path: 5 as never } }, /`connection.path`/],
  ] as Array<[string, Partial<RemoteWorkerOptions>, RegExp]>)('rejects TypeError naming the option for %s, before connecting', async (_what, bad, named) => {
    const started = runRemoteWorker({ connection: redis.connection, queue: 'opts', imports: [remoteFixtureModule], unreachableMs: 2000, ...bad });
    await expect(started).rejects.toThrow(named);
    await expect(started).rejects.toThrow(TypeError);
  });

  it('reads each option once, when it is called (before its first await), never again while it starts and serves', async () => {
    const reads: Record<string, number> = {};
    const options = counted(
      {
        connection: redis.connection,
        queue: 'opts-host',
        imports: [remoteFixtureModule],
        concurrency: 1,
        stalledIntervalMs: 30_000,
        lockDurationMs: 30_000,
        cancelGraceMs: 1000,
        unreachableMs: 10_000,
        prefix: 'bull',
        onError: () => undefined,
      },
      reads,
    );
    const starting = runRemoteWorker(options);
    const atCall = { ...reads };
    const host = await starting;
    const reactor = new Reactor({ remote: bullmqBackend({ connection: redis.connection, queue: 'opts-host' }) });
    try {
      await expect(reactor.deferToRemote(fx.add, 1, 2).asPromise()).resolves.toBe(3);
    } finally {
      await reactor.stop({ graceMs: 0 });
      await host.close();
    }
    expect(atCall).toEqual(Object.fromEntries(Object.keys(reads).map((key) => [key, 1])));
    expect(reads).toEqual(atCall);
  });
});
