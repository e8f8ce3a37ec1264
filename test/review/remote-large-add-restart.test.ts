/**
 * A Redis server restarted twice while one large job (over 1 MiB, sent on its own connection that re-sends a lost
 * write only once: see large-write-connection.ts) is being added: each send loses its connection, which is also how
 * the server refuses a value over its `proto-max-bulk-len`. The server takes values that large, so the caller's error
 * must say what happened — Redis out of reach during the write — not that the server refused the arguments as too
 * large (`DataCloneError`), which would send the user to shrink arguments the server takes.
 *
 * How the add is caught in flight, deterministically, with real restarts: the server is paused for writes (`CLIENT
 * PAUSE WRITE`: the add arrives whole and blocks, `flags=b` and megabytes of `argv-mem` in `CLIENT LIST`), then
 * killed. The restarted server is started on a side socket, paused there, and moved onto the clients' socket path (a
 * rename), so the re-sent add lands in a paused server too; it is killed again, and the server is started a third
 * time, for good.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { DataCloneError, RemoteUnavailableError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend } from '../../src/remote-bullmq/index.js';
import * as fx from '../fixtures/remote-tasks.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { ready } from '../helpers/redis-server.js';

const dir = mkdtempSync(join(tmpdir(), 'greenreactor-large-restart-'));
const socket = join(dir, 'redis.sock');
let server: ChildProcess | undefined;

/** Starts redis-server listening on `at` (the clients' socket unless told otherwise). */
async function startServer(at = socket): Promise<ChildProcess> {
  const child = spawn(
    process.env.REDIS_SERVER ?? 'redis-server',
    ['--port', '0', '--unixsocket', at, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await ready(child);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/** An admin client of the server at `at` that pauses its writes, and waits until a client's write blocks there. */
async function pauseWrites(at: string): Promise<{ admin: Redis; blocked: () => Promise<void> }> {
  const admin = new Redis({ path: at, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  admin.on('error', () => undefined); // its server is killed under it
  await admin.call('CLIENT', 'PAUSE', '600000', 'WRITE');
  return {
    admin,
    async blocked() {
      // Each round trip a turn: the large add has arrived whole once a client is blocked holding megabytes of
      // arguments (other writes block too, small).
      for (;;) {
        const list = (await admin.call('CLIENT', 'LIST')) as string;
        if (list.split('\n').some((line) => /flags=\S*b/.test(line) && Number(/argv-mem=(\d+)/.exec(line)?.[1] ?? 0) > 1_000_000)) return;
      }
    },
  };
}

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  if (server !== undefined) await kill(server);
  rmSync(dir, { recursive: true, force: true });
});

describe('a large add whose connection a Redis restart drops at each of its two sends', () => {
  it('errbacks RemoteUnavailableError saying the connection was lost, not DataCloneError saying the server refused it', async () => {
    const reports: unknown[] = [];
    const reactor = new Reactor({ remote: bullmqBackend({ connection: { path: socket }, queue: 'large-restart', onError: (error) => reports.push(error) }) });
    try {
      // Connected first (the queues write their metadata when they connect): a large call, enqueued, then cancelled.
      const warm = reactor.deferToRemote(fx.echo, 'y'.repeat(2_000_000));
      const probe = new Redis({ path: socket });
      while ((await probe.keys('bull:large-restart:gr-*')).length === 0) await probe.ping();
      await probe.quit();
      warm.cancel();
      await failureOf(warm);
      const first = await pauseWrites(socket);
      const call = reactor.deferToRemote(fx.echo, 'x'.repeat(3_000_000));
      await first.blocked();
      // A second server, paused before any client reaches it, then put where the clients reconnect.
      const side = join(dir, 'side.sock');
      const second = await startServer(side);
      const secondPause = await pauseWrites(side);
      await kill(server!);
      renameSync(side, socket);
      server = second;
      await secondPause.blocked();
      await kill(second);
      server = await startServer();
      first.admin.disconnect();
      secondPause.admin.disconnect();
      const error = await failureOf(call);
      expect(error).not.toBeInstanceOf(DataCloneError);
      expect(error).toBeInstanceOf(RemoteUnavailableError);
      expect(error.message).toMatch(/lost/);
      expect(error.message).not.toMatch(/refused/);
    } finally {
      await reactor.stop({ graceMs: 0 });
    }
  }, 60_000);
});
