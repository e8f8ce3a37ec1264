/**
 * A caller's backend and a host, closed after they served calls (small, and large: a job over 1 MiB goes on its own
 * connection), leave nothing that keeps the user's process alive: SPEC §11 ("no handle left open").
 *
 * Found: ioredis's `disconnect()` on a client whose `quit()` already ended its connection arms a 2 s timer waiting for
 * a `close` event that had already fired; the close of a backend and of a host called it on each of their quit
 * clients, so a process that stopped its reactor lived on for 2 s more (jest: "did not exit one second after the test
 * run has completed", on `remote-value-refused.test.ts`). Run in a child process, on the built library, so that what
 * stays open is only the library's.
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
});

/** The child: serves calls, closes everything, then prints what still keeps its event loop alive. */
const script = `
const root = process.argv[1];
const { Reactor } = await import(root + '/dist/src/reactor/reactor.js');
const { bullmqBackend, runRemoteWorker } = await import(root + '/dist/src/remote-bullmq/index.js');
const fx = await import(root + '/dist/test/fixtures/remote-tasks.js');
const connection = { path: process.argv[2] };
const queue = 'close-handles';
const reports = [];
const host = await runRemoteWorker({ connection, queue, imports: [root + '/dist/test/fixtures/remote-tasks.js'], onError: (e) => reports.push(e) });
const reactor = new Reactor({ remote: bullmqBackend({ connection, queue, onError: (e) => reports.push(e) }) });
const small = await reactor.deferToRemote(fx.add, 1, 2).asPromise();
const large = await reactor.deferToRemote(fx.echo, 'x'.repeat(2_000_000)).asPromise();
await reactor.stop({ graceMs: 0 });
await host.close();
setImmediate(() => {
  const open = process.getActiveResourcesInfo().filter((type) => !['TTYWrap', 'PipeWrap', 'FSReqCallback'].includes(type));
  process.stdout.write(JSON.stringify({ small, large: large.length, reports: reports.map(String), open }) + '\\n');
  process.exit(0);
});
`;

describe('a backend and a host closed after serving small and large calls', () => {
  it('leave nothing open that would keep the process alive: no timer, socket or worker', async () => {
    const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, root, redis.socket], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(JSON.parse(out)).toEqual({ small: 3, large: 2_000_000, reports: [], open: [] });
  });
});
