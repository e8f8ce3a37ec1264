/**
 * Adversarial tests of error transport on the remote route: whatever a task throws, its host reports it as the
 * task's own error (SPEC §4, §11) — never as a dead host, which the caller would turn into `WorkerCrashedError`
 * and, with `retries`, re-run a task that threw (SPEC §11: never after a thrown error). The values here cross the
 * host's thread boundary (structured clone) but not the wire (`node:v8`, which refuses a SharedArrayBuffer or a
 * Blob). Against a real redis-server and an in-process host.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { WorkerCrashedError } from '../../src/errors.js';
import type { Reactor } from '../../src/reactor/reactor.js';
import { defineTask } from '../../src/task/task.js';
import * as rv from '../fixtures/remote-review-tasks.js';
import { built, failureOf } from '../threads/thread-test-kit.js';
import { remoteFixtureModule, startRemoteTestBed, type RemoteTestBed, type TestRedis } from '../helpers/redis-server.js';

const reviewFixtureModule = new URL('./remote-review-tasks.js', remoteFixtureModule);

let bed: RemoteTestBed;
let redis: TestRedis;
let reactor: Reactor;
let watcher: Redis;

beforeAll(async () => {
  bed = await startRemoteTestBed('error-wire', { host: { imports: [reviewFixtureModule] } });
  ({ redis, reactor, watcher } = bed);
});

afterAll(() => bed?.stop());

/** The task with `retries: 1`: a crash would be re-run once, a thrown error never. */
function withRetry<T extends typeof rv.throwWithSharedBuffer>(task: T): T {
  return defineTask(task.moduleUrl, task.exportName, task.fn!, { retries: 1 }) as T;
}

describe('a remote task that throws a value node:v8 cannot serialize', () => {
  it("errbacks the task's own error (name, message, code, own properties; the unserializable one as text), runs once, is not counted as a crash", async () => {
    const before = reactor.stats().remote!;
    const error = await failureOf(reactor.deferToRemote(withRetry(rv.throwWithSharedBuffer), redis.socket, 'wire:shared-buffer'));
    expect(error).not.toBeInstanceOf(WorkerCrashedError);
    expect(error).toBeInstanceOf(Error);
    expect({ name: error.name, message: error.message, code: error.code, rows: error.rows }).toEqual({
      name: 'BufferError',
      message: 'buffer rejected',
      code: 'E_BUFFER',
      rows: 3,
    });
    expect(error.shared).toBe('[object SharedArrayBuffer]');
    expect(error.stack).toMatch(/--- task `throwWithSharedBuffer` dispatched \(remote\) from ---/);
    expect(await watcher.get('wire:shared-buffer')).toBe('1');
    const after = reactor.stats().remote!;
    expect({ retried: after.retried - before.retried, crashed: after.crashed - before.crashed, failed: after.failed - before.failed }).toEqual({
      retried: 0,
      crashed: 0,
      failed: 1,
    });
  });

  it('errbacks a thrown Blob (not an Error) as its text, runs once, is not counted as a crash', async () => {
    const before = reactor.stats().remote!;
    const thrown = await failureOf(reactor.deferToRemote(withRetry(rv.throwBlob as typeof rv.throwWithSharedBuffer), redis.socket, 'wire:blob'));
    expect(thrown).toBe('[object Blob]');
    expect(await watcher.get('wire:blob')).toBe('1');
    const after = reactor.stats().remote!;
    expect({ retried: after.retried - before.retried, crashed: after.crashed - before.crashed }).toEqual({ retried: 0, crashed: 0 });
  });
});

describe('a remote task that throws a non-Error value', () => {
  it.each([
    ['a string', 'plain string'],
    ['a number', 42],
    ['null', null],
    ['a plain object', { reason: 'nope', nested: [1, { deep: true }] }],
  ])('errbacks %s exactly as the thread path does', async (_what, value) => {
    const [onThread, onRemote] = await Promise.all([
      failureOf(reactor.deferToThread(built(rv.throwValue), value)),
      failureOf(reactor.deferToRemote(rv.throwValue, value)),
    ]);
    expect(onRemote).toEqual(onThread);
    expect(onRemote).toEqual(value);
  });
});
