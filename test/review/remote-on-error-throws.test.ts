/**
 * An `onError` that throws never takes the process down: the remote route calls it from ioredis and BullMQ event
 * handlers and timers, where a throw would be an uncaught exception. What it throws goes to `console.error` with the
 * error it was given. Against a path where no server listens, and a real redis-server.
 *
 * @module
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemoteUnavailableError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend, runRemoteWorker } from '../../src/remote-bullmq/index.js';
import * as fx from '../fixtures/remote-tasks.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { remoteFixtureModule } from '../helpers/redis-server.js';

let emptyDir: string;
let nowhere: { path: string };
const throwing = (error: unknown): never => {
  throw new Error(`onError threw on ${String(error)}`);
};

beforeAll(() => {
  emptyDir = mkdtempSync(join(tmpdir(), 'greenreactor-on-error-'));
  nowhere = { path: join(emptyDir, 'nobody-listens.sock') };
});

afterAll(() => rmSync(emptyDir, { recursive: true, force: true }));

afterEach(() => {
  jest.restoreAllMocks();
});

describe('an onError that throws', () => {
  it('bullmqBackend: the call still errbacks RemoteUnavailableError, and what onError threw goes to console.error', async () => {
    const logged: unknown[][] = [];
    jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args));
    const reactor = new Reactor({ remote: bullmqBackend({ connection: nowhere, queue: 'nowhere', unreachableMs: 300, onError: throwing }) });
    expect(await failureOf(reactor.deferToRemote(fx.add, 1, 2))).toBeInstanceOf(RemoteUnavailableError);
    await reactor.stop();
    expect(logged.some((args) => args.some((a) => a instanceof Error && a.message.startsWith('onError threw')))).toBe(true);
  });

  it('runRemoteWorker: the start still rejects with RemoteUnavailableError, and what onError threw goes to console.error', async () => {
    const logged: unknown[][] = [];
    jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args));
    const start = runRemoteWorker({ connection: nowhere, queue: 'nowhere', imports: [remoteFixtureModule], unreachableMs: 300, onError: throwing });
    await expect(start).rejects.toBeInstanceOf(RemoteUnavailableError);
    expect(logged.some((args) => args.some((a) => a instanceof Error && a.message.startsWith('onError threw')))).toBe(true);
  });
});
