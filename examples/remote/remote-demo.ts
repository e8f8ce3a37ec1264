/**
 * `npm run demo:remote`: a burst of CPU work overflows from this machine's threads to two remote worker hosts
 * (child processes serving a BullMQ queue on a local redis-server); one host is SIGKILLed midway and nothing is
 * lost. Prints a short table.
 *
 * Needs `redis-server` on the PATH (`apt-get install -y redis-server`, `brew install redis`).
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend } from '../../src/remote-bullmq/index.js';
import { startLocalCluster, stopProcess } from './local-cluster.js';
import { hashChain } from './remote-demo-tasks.js';

const calls = Number(process.argv[2] ?? 200);
const rounds = 20_000; // ~20-40 ms of CPU per call
const tasks = fileURLToPath(new URL('./remote-demo-tasks.js', import.meta.url));

const cluster = await startLocalCluster({ queue: 'demo', tasks, hosts: 2, hostArgs: ['--stalled-interval-ms', '500', '--lock-duration-ms', '1500'] });
const { socket, hosts } = cluster;

const reactor = new Reactor({
  remote: bullmqBackend({ connection: { path: socket }, queue: 'demo', reconcileMs: 250 }),
  policy: {
    threads: { maxThreads: 2 },
    rules: [{ name: 'overflow', match: { task: 'hashChain', threadQueue: { gt: 4 } }, route: 'remote' }],
  },
});

console.log(`remote demo: ${calls} calls of hashChain (${rounds} SHA-256 rounds each); thread backlog > 4 overflows to 2 remote hosts`);
const started = performance.now();
let done = 0;
let killed = false;
const results = await Promise.allSettled(
  Array.from({ length: calls }, (_, i) =>
    reactor.dispatch(hashChain, `seed-${i}`, rounds).asPromise().finally(() => {
      done++;
      if (!killed && done >= calls / 3) {
        killed = true;
        console.log(`after ${done} results: SIGKILL remote host pid ${String(hosts[0]!.pid)} (its running job is retried elsewhere)`);
        void stopProcess(hosts[0]!, 'SIGKILL');
      }
    }),
  ),
);
const seconds = (performance.now() - started) / 1000;
const stats = reactor.stats();
const ok = results.filter((r) => r.status === 'fulfilled').length;
const rows: Array<[string, string]> = [
  ['calls', String(calls)],
  ['succeeded', String(ok)],
  ['lost or failed', String(calls - ok)],
  ['ran on threads', String(stats.policy.routes.thread)],
  ['ran remote', String(stats.policy.routes.remote ?? 0)],
  ['remote retried after the kill', String(stats.remote?.retried ?? 0)],
  ['remote results via reconcile poll', String(stats.remote?.reconciled ?? 0)],
  ['remote run p50 (ms)', (stats.remote?.runMs.p50 ?? 0).toFixed(1)],
  ['wall time (s)', seconds.toFixed(2)],
];
const width = Math.max(...rows.map(([k]) => k.length));
console.log('');
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v.padStart(8)}`);

await reactor.stop();
await cluster.stop();
process.exitCode = ok === calls ? 0 : 1;
