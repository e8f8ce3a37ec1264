/**
 * Remote route benchmark: `deferToRemote` (BullMQ on a local redis-server) against `deferToThread`, same run.
 *
 * Three workloads, each with the thread path as baseline: a no-op one call at a time (the round trip), 1,000
 * no-ops in flight (throughput), and a CPU-bound burst (SHA-256 chains) on the 2 threads alone, on 2 remote hosts
 * alone, and split between both. The hosts are child processes (`greenreactor remote worker`, concurrency 1 each)
 * on this machine, so they compete with the threads for the same 2 cores: the figures show the route's overhead
 * and that one machine gains nothing from it, not the gain hosts on other machines would bring. Needs
 * `redis-server` on the PATH (see docs/remote.md).
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import type { Deferred } from '../src/deferred/deferred.js';
import { Reactor } from '../src/reactor/reactor.js';
import { startLocalCluster } from '../examples/remote/local-cluster.js';
import { bullmqBackend } from '../src/remote-bullmq/index.js';
import { hashChain, noop } from '../test/fixtures/remote-tasks.js';
import { isMainModule } from './lib/is-main-module.js';
import { measureComparison } from './lib/measure-comparison.js';
import type { Workload } from './lib/workload.js';
import { loadAverageNote, loadAverageNow } from './lib/machine-info.js';
import type { SuiteResult } from './lib/suite-result.js';
import { writeSuiteResult } from './lib/write-suite-result.js';

const tasks = fileURLToPath(new URL('../test/fixtures/remote-tasks.js', import.meta.url));

/** Options of {@link run}. */
export interface RemoteBenchOptions {
  /** Smaller workloads, shorter budget. */
  quick?: boolean;
  /** Time budget per variant in ms. */
  timeMs?: number;
  /** Where to write `remote.json`. */
  resultsDir?: string;
}

function allOf(n: number, start: (i: number) => Deferred<unknown>): Promise<unknown[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => start(i).asPromise()));
}

/**
 * Runs the suite and writes `bench/results/remote.json`.
 * @param options - `quick`, `timeMs`, `resultsDir`.
 * @returns the result.
 * @throws Error when `redis-server` cannot be started.
 */
export async function run(options: RemoteBenchOptions = {}): Promise<SuiteResult> {
  const quick = options.quick ?? false;
  const loadBefore = loadAverageNow();
  const cluster = await startLocalCluster({ queue: 'bench', tasks, hosts: 2, hostArgs: ['--concurrency', '1'] });
  let reactor: Reactor | undefined;
  try {
    const r = new Reactor({ remote: bullmqBackend({ connection: { path: cluster.socket }, queue: 'bench' }), policy: { threads: { minThreads: 2, maxThreads: 2 } } });
    reactor = r;
    const inFlight = quick ? 200 : 1000;
    const burst = quick ? 8 : 16;
    const rounds = 20_000; // one SHA-256 chain: some 20-40 ms of CPU on this machine
    const workloads: Workload[] = [
      {
        name: 'no-op, sequential round trip',
        description: 'One no-op task at a time, awaited before the next: the route\'s round trip (ops/s = 1 / median).',
        batch: 1,
        baseline: 'deferToThread',
        warmupRuns: 20,
        variants: [
          { name: 'deferToThread', run: () => r.deferToThread(noop).asPromise() },
          { name: 'deferToRemote', run: () => r.deferToRemote(noop).asPromise() },
        ],
      },
      {
        name: `no-op, ${inFlight.toLocaleString('en-US')} in flight`,
        description: `${inFlight.toLocaleString('en-US')} no-op tasks dispatched at once, then awaited: 2 threads vs 2 remote hosts of concurrency 1.`,
        batch: inFlight,
        baseline: 'deferToThread',
        variants: [
          { name: 'deferToThread', run: () => allOf(inFlight, () => r.deferToThread(noop)) },
          { name: 'deferToRemote', run: () => allOf(inFlight, () => r.deferToRemote(noop)) },
        ],
      },
      {
        name: `CPU burst, ${burst} × SHA-256 chain`,
        description: `${burst} chains of ${rounds.toLocaleString('en-US')} SHA-256 rounds at once: on the 2 threads, on the 2 remote hosts (same machine), and half on each.`,
        batch: burst,
        baseline: 'threads',
        variants: [
          { name: 'threads', run: () => allOf(burst, () => r.deferToThread(hashChain, rounds)) },
          { name: 'remote hosts', run: () => allOf(burst, () => r.deferToRemote(hashChain, rounds)) },
          { name: 'threads + remote hosts', run: () => allOf(burst, (i) => (i % 2 === 0 ? r.deferToThread(hashChain, rounds) : r.deferToRemote(hashChain, rounds))) },
        ],
      },
    ];
    const result = await measureComparison(workloads, {
      suite: 'remote',
      title: 'Remote route: deferToRemote (BullMQ on Redis) vs deferToThread',
      description:
        'What the remote route costs against the thread path, measured in the same run: a local redis-server on a unix socket, 2 remote hosts of concurrency 1 as child processes on this machine, 2 threads.',
      quick,
      ...(options.timeMs !== undefined ? { timeMs: options.timeMs } : { timeMs: quick ? 300 : 2000 }),
      iterations: quick ? 3 : 5,
    });
    const loadAfter = loadAverageNow();
    const final: SuiteResult = {
      ...result,
      notes: [
        'Every remote call crosses Redis twice (the job, then its result through BullMQ\'s event stream) and a thread hop on its host; the thread path is one hop.',
        'The remote hosts run on the same 2 cores as the threads, but as separate processes: on a machine shared with other jobs they take their own share of the contended cores, so the CPU-burst ratios say how the OS shared the machine during the run, not what the route or hosts on other machines would give (on an idle 2-core machine the 2 threads already use both cores and hosts can only add overhead).',
        `${loadAverageNote(loadBefore, loadAfter)}, shared with other jobs: absolute figures are inflated and noisy; the ratios, measured in the same run, are the figures to read.`,
      ],
    };
    await writeSuiteResult(final, options.resultsDir === undefined ? {} : { resultsDir: options.resultsDir });
    return final;
  } finally {
    await reactor?.stop();
    await cluster.stop();
  }
}

if (isMainThread && isMainModule(import.meta.url)) {
  await run({ quick: process.argv.includes('--quick') });
}
