/**
 * A context carrier whose `restore` is asynchronous (it awaits, then calls `run`: the contract allows it) on the
 * thread route and on the remote route against a real redis-server: the task runs in the carried context and its
 * caller's Deferred fires with the task's result; a restore that rejects before calling `run` fails the call with
 * its error, unrun.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import * as fx from '../fixtures/async-restore-tasks.js';
import { startRemoteTestBed, type RemoteTestBed } from '../helpers/redis-server.js';
import { startHostProcess, type HostProcess } from '../remote-bullmq/remote-host-process.js';
import { built, failureOf } from '../threads/thread-test-kit.js';

/** The host runs in its own process: in this one the carrier is registered by the fixture's TypeScript source. */
const fixtureModule = fileURLToPath(new URL('../../dist/test/fixtures/async-restore-tasks.js', import.meta.url));

describe('a carrier with an asynchronous restore', () => {
  describe('on the thread route', () => {
    let reactor: Reactor;
    beforeAll(() => {
      reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    });
    afterAll(async () => {
      await reactor.stop({ graceMs: 0 });
    });

    it('runs the task in the carried context and fires with its result', async () => {
      await expect(fx.tenant.run('acme', () => reactor.deferToThread(built(fx.whichTenant)).asPromise())).resolves.toBe('acme');
    });

    it('fails the call with the error of a restore that rejects before calling run', async () => {
      const error = await failureOf(fx.tenant.run('refused', () => reactor.deferToThread(built(fx.whichTenant))));
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toContain('restore refused the tenant');
    });
  });

  describe('on the remote route (real redis-server)', () => {
    let bed: RemoteTestBed;
    let host: HostProcess | undefined;
    beforeAll(async () => {
      bed = await startRemoteTestBed('async-restore', { host: false });
      host = await startHostProcess(bed.redis.url, 'async-restore', ['--import', fixtureModule]);
    });
    afterAll(async () => {
      await bed?.reactor.stop({ graceMs: 0 });
      await host?.kill('SIGTERM');
      await bed?.stop();
    });

    it('runs the task in the carried context and fires with its result', async () => {
      await expect(fx.tenant.run('acme', () => bed.reactor.deferToRemote(built(fx.whichTenant)).asPromise())).resolves.toBe('acme');
    });

    it('fails the call with the error of a restore that rejects before calling run', async () => {
      const error = await failureOf(fx.tenant.run('refused', () => bed.reactor.deferToRemote(built(fx.whichTenant))));
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toContain('restore refused the tenant');
    });

    it('still serves the next call afterwards', async () => {
      await expect(fx.tenant.run('next', () => bed.reactor.deferToRemote(built(fx.whichTenant)).asPromise())).resolves.toBe('next');
    });
  });
});
