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
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Effect } from 'effect';
import { Piscina } from 'piscina';
import Tinypool from 'tinypool';
import workerpool from 'workerpool';
import { gatherResults, Reactor } from '../src/index.js';
import { isMainModule } from './lib/is-main-module.js';
import { repeat } from './lib/repeat.js';
import { measureAlternatingPaired } from './lib/measure-alternating.js';
import { measureComparison } from './lib/measure-comparison.js';
import type { Variant, Workload } from './lib/workload.js';
import { measurePerProcess, perProcessSquare, threadCpuMs, type ProcessRun } from './lib/measure-per-process.js';
import { runChildBench } from './lib/run-child-bench.js';
import type { PeerJob } from './lib/peer-worker.js';
import type { ResultGroup, SuiteResult } from './lib/suite-result.js';
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

/**
 * glibc's malloc settings for the child processes that measure the 1 MiB payload row a third and fourth time: large blocks stay in
 * the heap (below an 8 MiB mmap threshold, a 64 MiB trim threshold) instead of going back to the OS. By default glibc
 * adapts both thresholds as blocks come and go, and whether the 1 MiB buffers of a structured clone are then reused or
 * mapped afresh (about 150-280 page faults per batch of 8 on the main thread, against 6-11) depends on the whole
 * process's allocation history: two identical Piscina pools in one process read 0.57-0.67x of each other, and which
 * peer "won" changed from run to run. Fixed thresholds give every pool the same allocator (A/A 0.99-1.01x).
 */
const fixedMallocThresholds = 'glibc.malloc.mmap_threshold=8388608:glibc.malloc.trim_threshold=67108864';

const peerWorker = new URL('./lib/peer-worker.js', import.meta.url);
const workerpoolWorker = new URL('./lib/peer-workerpool-worker.js', import.meta.url);
/**
 * The 1 MiB payload row, alternating batch by batch in a shuffled order, with `again` (a second raw Piscina pool) as
 * the A/A control. The description adds each variant's median per-pass ratio (the baseline's batch time ÷ the
 * variant's in the same pass) and its p10-p90: a pass's batches run back to back, so a drift of the machine over the
 * run moves both alike, where the ratio of two medians keeps it. Measured (load 4-6, 5 reruns each): the A/A control
 * read 0.967-1.051x as a ratio of medians over 300 passes, 0.987-1.036x over 900, and 1.007-1.028x as the median
 * per-pass ratio over 900.
 * @param variants - the thread peers' variants of the payload job.
 * @param job - the payload job (its batch and `job()`).
 * @param again - the second raw Piscina pool.
 * @param quick - fewer samples.
 * @param suffix - appended to the row's name.
 * @returns the group.
 */
async function measurePayloadAlternating(
  variants: readonly Variant[],
  job: { label: string; description: string; batch: number; job: () => PeerJob },
  again: Piscina,
  quick: boolean,
  suffix: string,
): Promise<ResultGroup> {
  const { group, paired } = await measureAlternatingPaired(
    'peers',
    {
      name: `${job.label} — threads, alternating${suffix}`,
      description: `${job.description} ${job.batch} at once on 2 threads; the variants alternate batch by batch in a shuffled order, with a second raw Piscina pool as an A/A control.`,
      baseline: 'piscina',
      batch: job.batch,
      variants: [...variants, { name: 'piscina, again', run: () => Promise.all(repeat(job.batch, () => again.run(job.job()))) }],
    },
    { warmup: quick ? 10 : 25, samples: quick ? 40 : 900 },
    (line) => console.log(line),
  );
  const perPass = group.rows
    .filter((row) => row.name !== group.baseline)
    .map((row) => {
      const p = paired.get(row.name);
      return p === undefined ? row.name : `${row.name} ${p.median.toFixed(3)}× (p10-p90 ${p.p10.toFixed(2)}-${p.p90.toFixed(2)})`;
    })
    .join(', ');
  return {
    ...group,
    description:
      `${group.description} The ratio column is the ratio of medians, as in every row; the median of each variant's per-pass ratios ` +
      `(piscina's batch time ÷ the variant's, same pass), the steadier figure between reruns: ${perPass}.`,
  };
}

/**
 * The alternating payload row measured again in a child process started with {@link fixedMallocThresholds}.
 * @param quick - fewer samples.
 * @returns the group the child printed.
 */
function measurePayloadInChild(quick: boolean): Promise<ResultGroup> {
  return runChildBench<ResultGroup>(fileURLToPath(import.meta.url), {
    args: ['--payload-alternating', ...(quick ? ['--quick'] : [])],
    env: { GLIBC_TUNABLES: fixedMallocThresholds },
    relayProgress: true,
  });
}

/** The variants of the one-pool-per-process payload row; `piscina, again` is the A/A control (raw Piscina again). */
const onePoolVariants = ['piscina', 'piscina, again', 'tinypool', 'workerpool', 'deferToThread'] as const;
type OnePoolVariant = (typeof onePoolVariants)[number];
/**
 * This process's main thread's CPU time so far (ms; Linux, 10 ms ticks), or `undefined` where `/proc` does not say.
 * @returns the time.
 */
function mainThreadCpuMs(): number | undefined {
  try {
    return threadCpuMs(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Warm-up and timed batches of one process of that row. */
const onePoolWarmup = (quick: boolean): number => (quick ? 10 : 25);
const onePoolBatches = (quick: boolean): number => (quick ? 60 : 200);
/**
 * Rounds of that row: two balanced Latin squares of its five variants, more and shorter processes than the 6 rounds of
 * 400 batches this replaces (the median per-round ratio needs rounds more than long ones). `--quick` (a smoke run):
 * 2 rounds, no dropped round.
 */
const onePoolRounds = (quick: boolean): number => (quick ? 2 : perProcessSquare(onePoolVariants.length) * 2);

/**
 * The child of {@link measurePayloadPerProcess}: opens only `variant`'s pool (2 threads), starts its threads, runs
 * {@link onePoolWarmup} warm-up batches of the 1 MiB payload job, then times {@link onePoolBatches} batches back to back.
 * @param variant - which pool.
 * @param quick - fewer batches.
 * @returns the timed batches.
 */
async function runOnePoolPayload(variant: OnePoolVariant, quick: boolean): Promise<ProcessRun> {
  const threads = 2;
  const batch = 8;
  const shared = new Uint8Array(2 ** 20).fill(7);
  // Each library's own promise type (workerpool's, a Deferred): Promise.all and await take them all as thenables.
  let run: () => unknown;
  let close: () => unknown;
  if (variant === 'tinypool') {
    const pool = new Tinypool({ filename: peerWorker.href, minThreads: threads, maxThreads: threads });
    run = () => pool.run({ op: 'checksum', arg: shared });
    close = () => pool.destroy();
  } else if (variant === 'workerpool') {
    const pool = workerpool.pool(workerpoolWorker.pathname, { workerType: 'thread', minWorkers: threads, maxWorkers: threads });
    run = () => pool.exec('checksum', [shared]);
    close = () => pool.terminate();
  } else if (variant === 'deferToThread') {
    const reactor = new Reactor({ policy: { threads: { minThreads: threads, maxThreads: threads } } });
    run = () => reactor.deferToThread(payloadTask, shared);
    close = () => reactor.stop();
  } else {
    const pool = new Piscina({ filename: peerWorker.href, minThreads: threads, maxThreads: threads });
    run = () => pool.run({ op: 'checksum', arg: shared });
    close = () => pool.close();
  }
  try {
    const runBatch = (): Promise<unknown[]> => Promise.all(repeat(batch, () => run()));
    for (let i = 0; i < onePoolWarmup(quick); i++) await runBatch();
    const batchesMs: number[] = [];
    const main0 = mainThreadCpuMs();
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < onePoolBatches(quick); i++) {
      const t = performance.now();
      await runBatch();
      batchesMs.push(performance.now() - t);
    }
    const totalMs = performance.now() - started;
    const { user, system } = process.cpuUsage(cpu);
    const main1 = mainThreadCpuMs();
    return { totalMs, batchesMs, cpuMs: (user + system) / 1000, ...(main0 === undefined || main1 === undefined ? {} : { mainCpuMs: main1 - main0 }) };
  } finally {
    await close();
  }
}

/**
 * The 1 MiB payload row measured one pool per process: each variant's run is a fresh child process (fixed malloc
 * thresholds, as {@link measurePayloadInChild}) holding only that pool, the variants' processes taking turns in rounds
 * ordered by a balanced Latin square, each variant's figure the median of its per-round ratios to raw Piscina
 * (`measure-per-process.ts` says why). In one process with every pool alive, V8's helper threads for one pool's
 * workers' mark-compacts run during the other pools' passes and the per-pass median ignores rare long pauses; the
 * total time of a process's batches is what an application holding one pool sees.
 * @param quick - two short rounds (a smoke run).
 * @returns the group.
 */
async function measurePayloadPerProcess(quick: boolean): Promise<ResultGroup> {
  const rounds = onePoolRounds(quick);
  const { group } = await measurePerProcess(
    'peers',
    {
      name: '1 MiB payload — threads, one pool per process',
      description:
        `A 1 MiB Uint8Array argument (structured clone into threads), checksummed. 8 at once on 2 threads; each run is a fresh process (fixed malloc thresholds) holding only that variant's pool, ` +
        `${onePoolWarmup(quick)} warm-up batches then ${onePoolBatches(quick)} timed batches back to back, the variants' processes taking turns over ${rounds} rounds${quick ? '' : ' after one dropped round'} (a balanced Latin square: each variant in each position, and after each other variant, equally often), with raw Piscina run again as an A/A control.`,
      baseline: 'piscina',
      variants: onePoolVariants,
      batch: 8,
      warmupRounds: quick ? 0 : 1,
    },
    rounds,
    (variant) =>
      runChildBench<ProcessRun>(fileURLToPath(import.meta.url), {
        args: ['--payload-one-pool', variant, ...(quick ? ['--quick'] : [])],
        env: { GLIBC_TUNABLES: fixedMallocThresholds },
      }),
    (line) => console.log(line),
  );
  return group;
}

/** What the suite's measurements share: the pools (started), the jobs and the variants per job. */
interface Peers {
  readonly quick: boolean;
  readonly piscinaAgain: Piscina;
  readonly jobs: Record<'noop' | 'cpu' | 'payload', PeerJobSpec>;
  readonly threadVariants: (j: PeerJobSpec) => Variant[];
  readonly greenVariants: (j: PeerJobSpec) => Variant[];
}

/** One job of the suite, as every path runs it. */
interface PeerJobSpec {
  readonly label: string;
  readonly description: string;
  readonly batch: number;
  readonly job: () => PeerJob;
  readonly method: 'tiny' | 'fib' | 'checksum';
  readonly task: typeof tinyTask | typeof fibTask | typeof payloadTask;
  readonly fn: (x: any) => number;
}

/**
 * Opens every pool (2 threads each) and starts its threads, runs `body`, then closes them all.
 * @param quick - smaller workloads.
 * @param body - the measurements.
 * @returns what `body` returns.
 */
async function withPeers<T>(quick: boolean, body: (peers: Peers) => Promise<T>): Promise<T> {
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
    const jobs: Peers['jobs'] = {
      noop: { label: 'no-op', description: '`x + 1`: pure per-call overhead.', batch: 100, method: 'tiny', task: tinyTask, fn: tiny, job: () => ({ op: 'tiny', arg: 1 }) },
      cpu: { label: `CPU: fib(${n})`, description: 'Recursive Fibonacci.', batch: 4, method: 'fib', task: fibTask, fn: fib, job: () => ({ op: 'fib', arg: n }) },
      payload: { label: '1 MiB payload', description: 'A 1 MiB Uint8Array argument (structured clone into threads), checksummed.', batch: 8, method: 'checksum', task: payloadTask, fn: checksum, job: () => ({ op: 'checksum', arg: payload() }) },
    };
    const threadVariants = (j: PeerJobSpec): Variant[] => [
      { name: 'piscina', run: () => Promise.all(repeat(j.batch, () => piscina.run(j.job()))) },
      { name: 'tinypool', run: () => Promise.all(repeat(j.batch, () => tinypool.run(j.job()))) },
      { name: 'workerpool', run: () => Promise.all(repeat(j.batch, () => wpool.exec(j.method, [j.job().arg]))) },
      { name: 'deferToThread', run: () => Promise.all(repeat(j.batch, () => reactor.deferToThread(j.task, j.job().arg as never))) },
    ];
    const greenVariants = (j: PeerJobSpec): Variant[] => [
      { name: 'Promise.all', run: () => Promise.all(repeat(j.batch, async () => j.fn(j.job().arg))) },
      {
        name: 'Effect fibers',
        run: () => Effect.runPromise(Effect.forEach(repeat(j.batch, (i) => i), () => Effect.sync(() => j.fn(j.job().arg)), { concurrency: 'unbounded' })),
      },
      { name: 'deferToGreenlet', run: () => Promise.all(repeat(j.batch, () => reactor.deferToGreenlet(j.fn, j.job().arg))) },
      // Joined with greenreactor's own combinator, as Effect is joined with its own: no Promise per Deferred.
      { name: 'deferToGreenlet + gatherResults', run: () => gatherResults(repeat(j.batch, () => reactor.deferToGreenlet(j.fn, j.job().arg))) },
    ];
    // Start every pool's threads before measuring.
    await Promise.all([
      ...repeat(threads, () => piscina.run({ op: 'tiny', arg: 0 })),
      ...repeat(threads, () => piscinaAgain.run({ op: 'tiny', arg: 0 })),
      ...repeat(threads, () => tinypool.run({ op: 'tiny', arg: 0 })),
      ...repeat(threads, () => wpool.exec('tiny', [0])),
      ...repeat(threads, () => reactor.deferToThread(tinyTask, 0)),
    ]);
    return await body({ quick, piscinaAgain, jobs, threadVariants, greenVariants });
  } finally {
    await Promise.allSettled([piscina.close(), piscinaAgain.close(), tinypool.destroy(), wpool.terminate(), reactor.stop()]);
  }
}

/**
 * Runs the suite, prints its tables and writes `bench/results/peers.json`.
 * @param options - quick mode, time budget, results directory.
 * @returns the result.
 */
export function run(options: PeersOptions = {}): Promise<SuiteResult> {
  const started = performance.now();
  return withPeers(options.quick ?? false, async ({ quick, piscinaAgain, jobs, threadVariants, greenVariants }) => {
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
    const result = await measureComparison(workloads, {
      suite: 'peers',
      title: 'Peers: greenreactor next to Piscina, tinypool, workerpool, Promise.all and Effect',
      description: 'The same no-op, CPU and 1 MiB payload jobs through thread-pool peers (vs raw Piscina) and in-process peers (vs Promise.all).',
      quick,
      ...(options.timeMs !== undefined ? { timeMs: options.timeMs } : {}),
      notes: [
        'Thread pools: 2 threads each, started before measuring; payloads are copied on every path, never moved from the caller (Piscina, tinypool and workerpool structured-clone them; deferToThread copies a buffer of 512 KiB or more once and moves the copy, see docs/threads.md).',
        'In-process paths run the same synchronous function; Effect uses Effect.forEach with unbounded concurrency over Effect.sync.',
        'deferToGreenlet under Promise.all pays for a Promise per Deferred (Promise.all resolves each thenable through its then); the gatherResults row joins the same Deferreds without one, as Effect.forEach joins its fibers with its own combinator.',
      ],
    });
    const alternating = await measurePayloadAlternating(threadVariants(jobs.payload), jobs.payload, piscinaAgain, quick, '');
    const fixed = await measurePayloadInChild(quick);
    const perProcess = await measurePayloadPerProcess(quick);
    const full: SuiteResult = {
      ...result,
      durationMs: Math.round(performance.now() - started),
      groups: [...result.groups, alternating, fixed, perProcess],
      notes: [
        ...result.notes,
        'The 1 MiB payload row is measured four times: in rounds per variant like every row; alternating batch by batch ("threads, alternating"), which spreads the garbage collector\'s state over every variant, with a second raw Piscina pool ("piscina, again") as an A/A control; and the same in a child process whose glibc malloc keeps large blocks (GLIBC_TUNABLES ' + fixedMallocThresholds + ', "fixed malloc thresholds"); and one pool per process (below). With glibc\'s default adaptive thresholds, whether each clone\'s 1 MiB buffers are reused or faulted in afresh depends on the process\'s allocation history, not on the pool: two identical Piscina pools read 0.57-0.67x of each other there, so only the fixed-thresholds row can resolve differences of 10-20 % between passes.',
        'The fourth measurement, "threads, one pool per process", is what an application holding one pool sees: each variant runs in a fresh process (fixed malloc thresholds) holding only its own pool, and its figure per round is the total time of its timed batches. In one process with every pool alive, V8\'s helper threads for one pool\'s workers\' mark-compacts run during the other pools\' passes, and a per-pass median ignores the rare long pauses an application pays, so changes that move garbage-collection cost between the main thread and the workers are misjudged there. The rounds follow a balanced Latin square (each variant in each position and after each other variant equally often) after one dropped round, and the ratio is the median over the rounds of raw Piscina\'s total ÷ the variant\'s in the same round, with its quartiles; the CPU-time ratio beside it is formed the same way. Two sources of noise remain, and the A/A control (raw Piscina in processes of its own twice) shows them: load from other processes stretches whole processes (wall time), and each process\'s workers settle, at random, into one of two garbage-collection regimes (about 3 or about 100 mark-compacts per 1,000 batches, for every library: `--trace-gc`). On 2 shared cores at load 2-11 the wall-time A/A median read 0.90×, 1.15×, 0.96× and 0.93× in four reruns (quartiles 0.77-1.07, 0.77-1.53, 0.76-1.40 and 0.78-1.24) while the CPU-time A/A median read 1.00×, 1.07×, 0.96× and 0.97×: at such load read the CPU figures, and differences under about 10 % as noise (docs/threads.md has the garbage-collection regimes).',
      ],
    };
    await writeSuiteResult(full, options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {});
    return full;
  });
}

if (isMainModule(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const onePool = process.argv[process.argv.indexOf('--payload-one-pool') + 1];
  if (process.argv.includes('--payload-one-pool')) {
    // A child of measurePayloadPerProcess: one pool's timed batches as the last line of stdout.
    if (!onePoolVariants.includes(onePool as OnePoolVariant)) throw new TypeError(`Expected \`--payload-one-pool\` to be one of ${onePoolVariants.join(', ')}, got \`${String(onePool)}\``);
    process.stdout.write(`${JSON.stringify(await runOnePoolPayload(onePool as OnePoolVariant, quick))}\n`);
  } else if (process.argv.includes('--payload-per-process')) {
    // The one-pool-per-process row alone (to rerun it without the rest of the suite), its group as the last line.
    process.stdout.write(`${JSON.stringify(await measurePayloadPerProcess(quick))}\n`);
  } else if (process.argv.includes('--payload-alternating')) {
    // The child of measurePayloadInChild: the alternating payload row alone, its group as the last line of stdout.
    const group = await withPeers(quick, (p) => measurePayloadAlternating(p.threadVariants(p.jobs.payload), p.jobs.payload, p.piscinaAgain, quick, ', fixed malloc thresholds'));
    process.stdout.write(`${JSON.stringify(group)}\n`);
  } else {
    await run({ quick });
  }
}
