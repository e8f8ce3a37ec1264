/**
 * `peers` suite: greenreactor next to the libraries people would pick instead.
 *
 * Thread side: the same no-op, CPU and 1 MiB payload jobs through raw Piscina (the baseline),
 * tinypool, workerpool and `reactor.deferToThread` — what the Deferred, task lookup, stats and
 * cancellation plumbing cost on top of Piscina. In-process side: `Promise.all` of async functions
 * (the baseline), Effect fibers and `reactor.deferToGreenlet` (joined with `Promise.all`, and with
 * `gatherResults`, greenreactor's own join) — what the hub costs on top of plain promises. All pools have 2 threads; one sample is a batch started together.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { Effect } from 'effect';
import { Piscina } from 'piscina';
import Tinypool from 'tinypool';
import workerpool from 'workerpool';
import { gatherResults, Reactor } from '../src/index.js';
import { isMainModule } from './lib/is-main-module.js';
import { measureAlternating } from './lib/measure-alternating.js';
import { measureComparison, type Variant, type Workload } from './lib/measure-comparison.js';
import type { PeerJob } from './lib/peer-worker.js';
import type { SuiteResult } from './lib/suite-result.js';
import { checksum, fib, fibTask, payloadTask, tiny, tinyTask } from './lib/workload-tasks.js';
import { writeSuiteResult } from './lib/write-suite-result.js';

/** Options of the suite (the runner passes these). */
export interface PeersOptions {
  /** Short budget and smaller workloads. */
  quick?: boolean;
  /** Time budget per variant, ms. */
  timeMs?: number;
  /** Where to write `peers.json`. */
  resultsDir?: string;
}

const peerWorker = new URL('./lib/peer-worker.js', import.meta.url);
const workerpoolWorker = new URL('./lib/peer-workerpool-worker.js', import.meta.url);
const repeat = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

/**
 * Runs the suite, prints its tables and writes `bench/results/peers.json`.
 * @param options - quick mode, time budget, results directory.
 * @returns the result.
 */
export async function run(options: PeersOptions = {}): Promise<SuiteResult> {
  const quick = options.quick ?? false;
  const threads = 2;
  const piscina = new Piscina({ filename: peerWorker.href, minThreads: threads, maxThreads: threads });
  // A second raw Piscina pool, the A/A control of the alternating payload row: what two identical pools differ by.
  const piscinaAgain = new Piscina({ filename: peerWorker.href, minThreads: threads, maxThreads: threads });
  const tinypool = new Tinypool({ filename: peerWorker.href, minThreads: threads, maxThreads: threads });
  const wpool = workerpool.pool(workerpoolWorker.pathname, { workerType: 'thread', minWorkers: threads, maxWorkers: threads });
  const reactor = new Reactor({ policy: { threads: { minThreads: threads, maxThreads: threads } } });
  try {
    const n = quick ? 24 : 27;
    const mib = 2 ** 20;
    // One shared payload: the threads clone it on every call anyway, and allocating 1 MiB per call
    // makes garbage collection, not the copy, dominate the figures.
    const shared = new Uint8Array(mib).fill(7);
    const payload = (): Uint8Array => shared;
    type Job = { job: () => PeerJob; method: 'tiny' | 'fib' | 'checksum'; task: typeof tinyTask | typeof fibTask | typeof payloadTask; fn: (x: any) => number };
    const jobs: Record<string, Job & { batch: number; label: string; description: string }> = {
      noop: { label: 'no-op', description: '`x + 1`: pure per-call overhead.', batch: 100, method: 'tiny', task: tinyTask, fn: tiny, job: () => ({ op: 'tiny', arg: 1 }) },
      cpu: { label: `CPU: fib(${n})`, description: 'Recursive Fibonacci.', batch: 4, method: 'fib', task: fibTask, fn: fib, job: () => ({ op: 'fib', arg: n }) },
      payload: { label: '1 MiB payload', description: 'A 1 MiB Uint8Array argument (structured clone into threads), checksummed.', batch: 8, method: 'checksum', task: payloadTask, fn: checksum, job: () => ({ op: 'checksum', arg: payload() }) },
    };
    const threadVariants = (j: Job & { batch: number }): Variant[] => [
      { name: 'piscina', run: () => Promise.all(repeat(j.batch, () => piscina.run(j.job()))) },
      { name: 'tinypool', run: () => Promise.all(repeat(j.batch, () => tinypool.run(j.job()))) },
      { name: 'workerpool', run: () => Promise.all(repeat(j.batch, () => wpool.exec(j.method, [j.job().arg]))) },
      { name: 'deferToThread', run: () => Promise.all(repeat(j.batch, () => reactor.deferToThread(j.task, j.job().arg as never))) },
    ];
    const greenVariants = (j: Job & { batch: number }): Variant[] => [
      { name: 'Promise.all', run: () => Promise.all(repeat(j.batch, async () => j.fn(j.job().arg))) },
      {
        name: 'Effect fibers',
        run: () => Effect.runPromise(Effect.forEach(repeat(j.batch, (i) => i), () => Effect.sync(() => j.fn(j.job().arg)), { concurrency: 'unbounded' })),
      },
      { name: 'deferToGreenlet', run: () => Promise.all(repeat(j.batch, () => reactor.deferToGreenlet(j.fn, j.job().arg))) },
      // Joined with greenreactor's own combinator, as Effect is joined with its own: no Promise per Deferred.
      { name: 'deferToGreenlet + gatherResults', run: () => gatherResults(repeat(j.batch, () => reactor.deferToGreenlet(j.fn, j.job().arg))) },
    ];
    const workloads: Workload[] = [
      ...Object.values(jobs).map((j): Workload => ({
        name: `${j.label} — threads`,
        description: `${j.description} ${j.batch} at once on 2 threads.`,
        batch: j.batch,
        baseline: 'piscina',
        variants: threadVariants(j),
        // Large payloads need many calls before a worker reaches its steady speed.
        warmupRuns: j.method === 'checksum' ? (quick ? 10 : 25) : 0,
      })),
      ...Object.values(jobs).map((j): Workload => ({ name: `${j.label} — in-process`, description: `${j.description} ${j.batch} at once in the main thread.`, batch: j.batch, baseline: 'Promise.all', variants: greenVariants(j) })),
    ];
    // Start every pool's threads before measuring.
    await Promise.all([
      ...repeat(threads, () => piscina.run({ op: 'tiny', arg: 0 })),
      ...repeat(threads, () => piscinaAgain.run({ op: 'tiny', arg: 0 })),
      ...repeat(threads, () => tinypool.run({ op: 'tiny', arg: 0 })),
      ...repeat(threads, () => wpool.exec('tiny', [0])),
      ...repeat(threads, () => reactor.deferToThread(tinyTask, 0)),
    ]);
    const result = await measureComparison(workloads, {
      suite: 'peers',
      title: 'Peers: greenreactor next to Piscina, tinypool, workerpool, Promise.all and Effect',
      description: 'The same no-op, CPU and 1 MiB payload jobs through thread-pool peers (vs raw Piscina) and in-process peers (vs Promise.all).',
      quick,
      ...(options.timeMs !== undefined ? { timeMs: options.timeMs } : {}),
      notes: [
        'Thread pools: 2 threads each, started before measuring; payloads are structured-cloned on every path (no transfer).',
        'In-process paths run the same synchronous function; Effect uses Effect.forEach with unbounded concurrency over Effect.sync.',
        'deferToGreenlet under Promise.all pays for a Promise per Deferred (Promise.all resolves each thenable through its then); the gatherResults row joins the same Deferreds without one, as Effect.forEach joins its fibers with its own combinator.',
      ],
    });
    // The payload row again, alternating batch by batch with an A/A control (see the note below).
    const j = jobs.payload!;
    const altStarted = performance.now();
    const alternating = await measureAlternating(
        'peers',
        {
          name: `${j.label} — threads, alternating`,
          description: `${j.description} ${j.batch} at once on 2 threads; the variants alternate batch by batch in a shuffled order, with a second raw Piscina pool as an A/A control.`,
          baseline: 'piscina',
          batch: j.batch,
          variants: [...threadVariants(j), { name: 'piscina, again', run: () => Promise.all(repeat(j.batch, () => piscinaAgain.run(j.job()))) }],
        },
        { warmup: quick ? 10 : 25, samples: quick ? 40 : 300 },
      (line) => console.log(line),
    );
    const full: SuiteResult = {
      ...result,
      durationMs: Math.round(result.durationMs + performance.now() - altStarted),
      groups: [...result.groups, alternating],
      notes: [
        ...result.notes,
        'The 1 MiB payload row is measured twice: in rounds per variant like every row, and alternating batch by batch ("threads, alternating"). Rounds of a few hundred ms hand one variant a stretch of the garbage collector\'s and allocator\'s state (1 MiB clones make the main thread collect every few dozen calls), and their medians swung between reruns; alternating spreads that over every variant, and the second raw Piscina pool ("piscina, again") shows the noise left.',
      ],
    };
    await writeSuiteResult(full, options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {});
    return full;
  } finally {
    await Promise.allSettled([piscina.close(), piscinaAgain.close(), tinypool.destroy(), wpool.terminate(), reactor.stop()]);
  }
}

if (isMainModule(import.meta.url)) {
  await run({ quick: process.argv.includes('--quick') });
}
