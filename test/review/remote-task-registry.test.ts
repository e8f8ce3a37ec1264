/**
 * Adversarial tests of which task a worker host finds for a job when its `imports` name one task more than once:
 * the same module listed twice (a repeated `--import`, a path and its file URL), or a module and an index module
 * re-exporting its tasks. One task defined once is one task, however many imports reach it: the host must run it,
 * not refuse it as ambiguous (`TaskNotFoundError` is for two different tasks sharing a name). The caller's module
 * URL (this repository's .ts fixture under Jest) is not the host's (the built .js), so the host finds tasks by
 * export name, as it does across machines. Against a real redis-server and in-process hosts.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { TaskNotFoundError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend, runRemoteWorker, type RemoteWorker } from '../../src/remote-bullmq/index.js';
import { taskFrom } from '../../src/task/task.js';
import * as parseA from '../fixtures/parse-tasks-a.js';
import * as fx from '../fixtures/remote-tasks.js';
import { failureOf } from '../threads/thread-test-kit.js';
import { remoteFixtureModule, startRedis, type TestRedis } from '../helpers/redis-server.js';

const reexportModule = new URL('./remote-reexport-tasks.js', remoteFixtureModule);
/** Two modules exporting different tasks under the same names (built). */
const [moduleA, moduleB] = [new URL('./parse-tasks-a.js', remoteFixtureModule), new URL('./parse-tasks-b.js', remoteFixtureModule)];

let redis: TestRedis;
const reactors: Reactor[] = [];
const hosts: RemoteWorker[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await Promise.all(reactors.map((r) => r.stop({ graceMs: 0 })));
  await Promise.all(hosts.map((h) => h.close()));
  await redis?.stop();
});

/** A host serving `queue` with `imports`, and a reactor calling it. */
async function serve(queue: string, imports: Array<string | URL>): Promise<Reactor> {
  hosts.push(await runRemoteWorker({ connection: redis.connection, queue, imports }));
  const reactor = new Reactor({ remote: bullmqBackend({ connection: redis.connection, queue, reconcileMs: 200 }) });
  reactors.push(reactor);
  return reactor;
}

describe('a worker host whose imports reach one task more than once', () => {
  it.each([
    ['the same module URL twice', 'twice', [remoteFixtureModule, remoteFixtureModule]],
    ['a module as a path and as a file URL', 'spellings', [fileURLToPath(remoteFixtureModule), remoteFixtureModule]],
    ['a module and an index module re-exporting its task', 'reexport', [reexportModule, remoteFixtureModule]],
  ] as Array<[string, string, Array<string | URL>]>)('runs it (%s)', async (_what, queue, imports) => {
    const reactor = await serve(queue, imports);
    await expect(reactor.deferToRemote(fx.add, 2, 3).asPromise()).resolves.toBe(5);
  });
});

describe('a worker host importing two different tasks of one name', () => {
  it('refuses a job naming neither module with TaskNotFoundError listing both, and runs the one a job names exactly', async () => {
    const reactor = await serve('two-tasks', [moduleA, moduleB]);
    const error = await failureOf(reactor.deferToRemote(parseA.checksum, 1));
    expect(error).toBeInstanceOf(TaskNotFoundError);
    expect(error.message).toContain(`several imported modules export a task \`checksum\` (${moduleA.href}, ${moduleB.href})`);
    await expect(reactor.deferToRemote(taskFrom(moduleB, 'checksum'), 1).asPromise()).resolves.toBe('b1');
  });
});

describe('a worker host whose imports export no Task', () => {
  it('rejects TypeError naming the modules, before connecting (it would take every job and fail it)', async () => {
    const empty = new URL('./remote-no-tasks.js', remoteFixtureModule);
    const unreachable = { path: `${redis.socket}.absent` };
    const error = await runRemoteWorker({ connection: unreachable, queue: 'no-tasks', imports: [empty] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain(`Expected \`imports\` to export at least one Task, got none from ${empty.href}`);
  });
});
