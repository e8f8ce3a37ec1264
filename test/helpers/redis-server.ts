/**
 * A real `redis-server` for one test file — a unix socket in a fresh temp folder, persistence off, stopped after —
 * and the remote-route test bed built on it (host, reactor, watcher), written once for every remote test file.
 *
 * Never a mock: BullMQ's Lua scripts do not run on Redis mocks. When the binary is missing the test fails with
 * the install hint (no skip): `apt-get install -y redis-server` (Debian/Ubuntu), `brew install redis` (macOS).
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend, runRemoteWorker, type BullmqBackendOptions, type RemoteWorker, type RemoteWorkerOptions } from '../../src/remote-bullmq/index.js';

/** How to install the server, said when it is missing. */
export const redisInstallHint =
  'redis-server is needed by the remote-route tests and was not found on PATH (or at $REDIS_SERVER). ' +
  'Install it: `sudo apt-get install -y redis-server` (Debian/Ubuntu), `brew install redis` (macOS), ' +
  'or set REDIS_SERVER to the binary. .ci/run installs it when missing.';

/** A running test server. */
export interface TestRedis {
  /** The unix socket path. */
  readonly socket: string;
  /** BullMQ/ioredis connection options for it. */
  readonly connection: { path: string };
  /** A `unix://` URL of the socket (for the CLI's `--redis`). */
  readonly url: string;
  /** A fresh client (the caller quits it). */
  client(): Redis;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` (or `$REDIS_SERVER`) on a unix socket in a new temp folder, with `--save ''` and
 * `--appendonly no`, and waits until it accepts connections.
 * @returns the server.
 * @throws Error with {@link redisInstallHint} when the binary is missing.
 */
export async function startRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'greenreactor-redis-'));
  const socket = join(dir, 'redis.sock');
  const binary = process.env.REDIS_SERVER ?? 'redis-server';
  const child = spawn(
    binary,
    ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    await ready(child);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    socket,
    connection: { path: socket },
    url: `unix://${socket}`,
    client: () => new Redis({ path: socket }),
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }
      }).then(() => rmSync(dir, { recursive: true, force: true }));
      return stopping;
    },
  };
}

/** Resolves once the server logged that it is ready to accept connections ("Ready to accept connections", or "…now ready to accept connections at <socket>" with --port 0); rejects if it could not start. */
export function ready(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (/ready to accept connections/i.test(output)) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new Error(redisInstallHint, { cause: error }) : error);
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${String(code)} before it was ready:\n${output}`)));
  });
}

/**
 * Waits (BLPOP, a blocking read on the server) for the next word pushed onto `key`.
 * @param redis - a client dedicated to this wait (BLPOP blocks its connection).
 * @param key - the list.
 * @param timeoutS - how long before the test fails instead of hanging.
 * @returns the word.
 */
export async function nextWord(redis: Redis, key: string, timeoutS = 15): Promise<string> {
  const got = await redis.blpop(key, timeoutS);
  if (got === null) throw new Error(`nothing was pushed onto ${key} within ${timeoutS} s`);
  return got[1];
}

/** The built task fixtures the remote hosts import (dist/test/fixtures/remote-tasks.js). */
export const remoteFixtureModule = new URL('../../dist/test/fixtures/remote-tasks.js', import.meta.url);

/** What a remote-route test file works with: its own server, a host, a reactor, a client to wait on. */
export interface RemoteTestBed {
  readonly redis: TestRedis;
  /** An in-process host serving the fixtures (absent when the file asked for none). */
  readonly host: RemoteWorker | undefined;
  /** A reactor whose remote backend serves `queue`. */
  readonly reactor: Reactor;
  /** A client for `nextWord` and checks (BLPOP blocks it: one waiter at a time). */
  readonly watcher: Redis;
  /** Stops the reactor, the host, the watcher and the server, in that order. */
  stop(): Promise<void>;
}

/** Options of {@link startRemoteTestBed}. */
export interface RemoteTestBedOptions {
  /** Options of the in-process host, or `false` for none (the file starts host processes itself). */
  host?: Partial<Omit<RemoteWorkerOptions, 'connection' | 'queue'>> | false;
  /** Options of the reactor's backend. */
  backend?: Partial<Omit<BullmqBackendOptions, 'connection' | 'queue'>>;
}

/**
 * Starts a fresh server (see {@link startRedis}), an in-process host serving the fixtures on `queue`, a reactor
 * whose backend uses that queue (reconcile every 200 ms unless told otherwise), and a watcher client.
 * @param queue - the queue's name.
 * @param options - host and backend options.
 * @returns the bed; the file calls `stop()` in its `afterAll`.
 */
export async function startRemoteTestBed(queue: string, options: RemoteTestBedOptions = {}): Promise<RemoteTestBed> {
  const redis = await startRedis();
  let host: RemoteWorker | undefined;
  try {
    host = options.host === false ? undefined : await runRemoteWorker({ imports: [remoteFixtureModule], ...options.host, connection: redis.connection, queue });
  } catch (error) {
    await redis.stop(); // the file's afterAll has no bed to stop: leave no server behind
    throw error;
  }
  const reactor = new Reactor({ remote: bullmqBackend({ reconcileMs: 200, ...options.backend, connection: redis.connection, queue }) });
  const watcher = redis.client();
  let stopping: Promise<void> | undefined;
  return {
    redis,
    host,
    reactor,
    watcher,
    stop() {
      stopping ??= (async () => {
        await reactor.stop({ graceMs: 0 });
        await host?.close();
        await watcher.quit().catch(() => watcher.disconnect()); // a test may have ended it already
        await redis.stop();
      })();
      return stopping;
    },
  };
}
