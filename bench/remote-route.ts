/**
 * `npm run bench:remote`: the remote route (BullMQ on a local redis-server) against the thread path, in one run.
 *
 * Sequential p50 of one call and throughput with many calls in flight, for a no-op and a 20 ms task, each as a
 * ratio to the thread path measured in the same process. Two remote hosts run as child processes on this machine
 * (concurrency 1 each, matching the 2 threads of the thread path), so the figures show the route's overhead, not a
 * gain: on one machine remote hosts compete for the same cores. Needs `redis-server` on the PATH. Prints a table
 * (with the load average) and writes nothing.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Deferred } from '../src/deferred/deferred.js';
import { Reactor } from '../src/reactor/reactor.js';
import { bullmqBackend } from '../src/remote-bullmq/index.js';
import { noop, sleepFor } from '../test/fixtures/remote-tasks.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const tasks = fileURLToPath(new URL('../test/fixtures/remote-tasks.js', import.meta.url));

function start(command: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (ready.test(out)) resolve(child);
    });
    child.stderr.resume();
    child.once('exit', (code) => reject(new Error(`${command} exited (${String(code)}):\n${out}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function sequentialP50(call: () => Deferred<unknown>, n: number): Promise<number> {
  for (let i = 0; i < 5; i++) await call().asPromise(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call().asPromise();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(n / 2)]!;
}

async function throughput(call: () => Deferred<unknown>, inFlight: number): Promise<number> {
  const t = performance.now();
  await Promise.all(Array.from({ length: inFlight }, () => call().asPromise()));
  return inFlight / ((performance.now() - t) / 1000);
}

const dir = mkdtempSync(join(tmpdir(), 'greenreactor-bench-remote-'));
const socket = join(dir, 'redis.sock');
const redis = await start('redis-server', ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no', '--dir', dir], /ready to accept connections/i);
const hostArgs = [cli, 'remote', 'worker', '--queue', 'bench', '--redis', `unix://${socket}`, '--import', tasks];
const hosts = await Promise.all([start(process.execPath, hostArgs, /serving queue/), start(process.execPath, hostArgs, /serving queue/)]);
const reactor = new Reactor({
  remote: bullmqBackend({ connection: { path: socket }, queue: 'bench' }),
  policy: { threads: { minThreads: 2, maxThreads: 2 } },
});
const thread = { noop: () => reactor.deferToThread(noop), sleep: () => reactor.deferToThread(sleepFor, 20) };
const remote = { noop: () => reactor.deferToRemote(noop), sleep: () => reactor.deferToRemote(sleepFor, 20) };

const rows: Array<[string, number, number, string]> = [];
const load = loadavg()[0]!.toFixed(1);
const ratio = (r: number, t: number, unit: string): [number, number, string] => [t, r, unit];
rows.push(['no-op, sequential p50 (ms)', ...ratio(await sequentialP50(remote.noop, 200), await sequentialP50(thread.noop, 200), 'ms')]);
rows.push(['20 ms task, sequential p50 (ms)', ...ratio(await sequentialP50(remote.sleep, 30), await sequentialP50(thread.sleep, 30), 'ms')]);
rows.push(['no-op, 1,000 in flight (calls/s)', ...ratio(await throughput(remote.noop, 1000), await throughput(thread.noop, 1000), '/s')]);
rows.push(['20 ms task, 200 in flight (calls/s)', ...ratio(await throughput(remote.sleep, 200), await throughput(thread.sleep, 200), '/s')]);

console.log(`remote route vs thread path (2 threads; 2 remote hosts of concurrency 1 on this machine); load average ${load} at start, ${loadavg()[0]!.toFixed(1)} at end`);
console.log('| measure | thread | remote | remote / thread |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, t, r] of rows) console.log(`| ${name} | ${t.toFixed(2)} | ${r.toFixed(2)} | ${(r / t).toFixed(2)} |`);

await reactor.stop();
await Promise.all(hosts.map(stop));
await stop(redis);
rmSync(dir, { recursive: true, force: true });
