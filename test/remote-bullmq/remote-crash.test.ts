/**
 * A worker host SIGKILLed mid-job: with `retries: 1` the job completes on another host; with 0 the call errbacks
 * `WorkerCrashedError`. Hosts are child processes with a 1 s lock and a 250 ms stalled check (BullMQ notices a
 * dead host between the lock's expiry and two checks later).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { WorkerCrashedError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask } from '../../src/task/task.js';
import * as fx from '../fixtures/remote-tasks.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { startHostProcess, type HostProcess } from './remote-host-process.js';
import { nextWord, startRemoteTestBed, type RemoteTestBed, type TestRedis } from '../helpers/redis-server.js';

let bed: RemoteTestBed;
let redis: TestRedis;
let reactor: Reactor;
let watcher: Redis;
const hosts: HostProcess[] = [];

beforeAll(async () => {
  bed = await startRemoteTestBed('crash', { host: false });
  ({ redis, reactor, watcher } = bed);
  hosts.push(...(await Promise.all([startHostProcess(redis.url, 'crash'), startHostProcess(redis.url, 'crash')])));
}, 30_000);

afterAll(async () => {
  await bed?.reactor.stop({ graceMs: 0 });
  await Promise.all(hosts.map((host) => host.kill()));
  await bed?.stop();
});

/** Starts `task`, waits until a host runs it, SIGKILLs that host (and starts a fresh one when `replace`). */
async function killTheHostRunning(task: typeof fx.hangOnFirstRun, key: string, replace: boolean): Promise<{ d: ReturnType<Reactor['deferToRemote']>; killedPid: number }> {
  const d = reactor.deferToRemote(task, redis.socket, key);
  const [, pid, run] = (await nextWord(watcher, key)).split(':');
  expect(run).toBe('1');
  const victim = hosts.find((host) => host.pid === Number(pid));
  expect(victim).toBeDefined();
  await victim!.kill('SIGKILL');
  hosts.splice(hosts.indexOf(victim!), 1);
  if (replace) hosts.push(await startHostProcess(redis.url, 'crash'));
  return { d, killedPid: Number(pid) };
}

describe('a remote host killed mid-job', () => {
  it('with retries: 1, the job completes on another host', async () => {
    const retried = defineTask(fx.hangOnFirstRun.moduleUrl, 'hangOnFirstRun', fx.hangOnFirstRun.fn!, { retries: 1 });
    const { d, killedPid } = await killTheHostRunning(retried, 'crash:retry', true);
    await expect(d.asPromise()).resolves.toBe('done on run 2');
    const [, pid, run] = (await nextWord(watcher, 'crash:retry')).split(':');
    expect(run).toBe('2');
    expect(Number(pid)).not.toBe(killedPid);
    expect(reactor.stats().remote!.retried).toBe(1);
  }, 30_000);

  it('with retries: 0, the call errbacks WorkerCrashedError saying the outcome is unknown: the task may have run in full', async () => {
    const { d } = await killTheHostRunning(fx.hangOnFirstRun, 'crash:no-retry', false);
    const error = await failureOf(d);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error.task).toBe('hangOnFirstRun');
    expect(error.message).toContain('its outcome is unknown');
    expect(error.message).toContain('may have run in part or in full');
    expect(await watcher.get('crash:no-retry:runs')).toBe('1');
  }, 30_000);
});
