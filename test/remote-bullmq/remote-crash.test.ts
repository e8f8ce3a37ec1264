/**
 * A worker host SIGKILLed mid-job: with `retries: 1` the job completes on another host; with 0 the call errbacks
 * `WorkerCrashedError`. Hosts are child processes with a 1 s lock and a 250 ms stalled check (BullMQ notices a
 * dead host between the lock's expiry and two checks later).
 *
 * Time limits are guards against a hang only: beside two CPU spinners a host process took up to 18 s to start, and
 * the call up to 9 s to reach its first host, while the retry itself ended within 8 s of the kill in every run. The
 * replacement host starts beside the retry, not before it is awaited (the surviving host may take the retry first):
 * awaited first, its start alone ran the first test past its old 30 s limit once in 30 runs.
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
}, 90_000);

afterAll(async () => {
  await bed?.reactor.stop({ graceMs: 0 });
  await Promise.all(hosts.map((host) => host.kill()));
  await bed?.stop();
});

/**
 * Starts `task`, waits until a host runs it, SIGKILLs that host and, when `replace`, starts a fresh one: `replaced`
 * resolves once it serves (await it after the call's outcome, which must not wait for it).
 */
async function killTheHostRunning(
  task: typeof fx.hangOnFirstRun,
  key: string,
  replace: boolean,
): Promise<{ d: ReturnType<Reactor['deferToRemote']>; killedPid: number; replaced: Promise<void> }> {
  const d = reactor.deferToRemote(task, redis.socket, key);
  const [, pid, run] = (await nextWord(watcher, key)).split(':');
  expect(run).toBe('1');
  const victim = hosts.find((host) => host.pid === Number(pid));
  expect(victim).toBeDefined();
  await victim!.kill('SIGKILL');
  hosts.splice(hosts.indexOf(victim!), 1);
  const replaced = replace ? startHostProcess(redis.url, 'crash').then((host) => void hosts.push(host)) : Promise.resolve();
  replaced.catch(() => undefined); // awaited later by the test, which then fails with its error: never unhandled meanwhile
  return { d, killedPid: Number(pid), replaced };
}

describe('a remote host killed mid-job', () => {
  it('with retries: 1, the job completes on another host', async () => {
    const retried = defineTask(fx.hangOnFirstRun.moduleUrl, 'hangOnFirstRun', fx.hangOnFirstRun.fn!, { retries: 1 });
    const { d, killedPid, replaced } = await killTheHostRunning(retried, 'crash:retry', true);
    await expect(d.asPromise()).resolves.toBe('done on run 2');
    await replaced;
    const [, pid, run] = (await nextWord(watcher, 'crash:retry')).split(':');
    expect(run).toBe('2');
    expect(Number(pid)).not.toBe(killedPid);
    expect(reactor.stats().remote!.retried).toBe(1);
  }, 90_000);

  it('with retries: 0, the call errbacks WorkerCrashedError saying the outcome is unknown: the task may have run in full', async () => {
    const { d } = await killTheHostRunning(fx.hangOnFirstRun, 'crash:no-retry', false);
    const error = await failureOf(d);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error.task).toBe('hangOnFirstRun');
    expect(error.message).toContain('its outcome is unknown');
    expect(error.message).toContain('may have run in part or in full');
    expect(await watcher.get('crash:no-retry:runs')).toBe('1');
  }, 90_000);
});
