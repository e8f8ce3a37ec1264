/**
 * The policy suite: what `dispatch` costs, and whether `auto` picks well.
 *
 * 1. Dispatch overhead: the same tiny task through `dispatch` (routed by a policy to one path) and
 *    through that path called directly (`deferToThread`, `deferToGreenlet`, `maybeDeferred`), on one
 *    reactor, in interleaved rounds; plus the synchronous cost per call of handing calls to the route each way.
 *    Targets (issue 12): dispatch ≥ 0.98× `deferToThread`'s throughput, cost ≤ 1.1× `deferToGreenlet`'s and
 *    ≤ 1.5× an inline `maybeDeferred`'s.
 * 2. `auto` once it learned inline vs the fixed inline route, both through `dispatch` (interleaved): what the
 *    learning costs (target ≥ 0.9×).
 * 3. A mixed workload — CPU-heavy tasks (fib, kind `cpu`), tiny tasks with no kind, and tasks with no
 *    kind that usually take microseconds but now and then block for 30 ms — under `auto` vs everything
 *    forced to threads vs everything forced to greenlets. Target: `auto` at least matches the better
 *    fixed route's throughput, with loop-delay p99 within 1.2× of the all-threads run.
 *
 * The tasks are defined here (`defineTask(import.meta.url, …)`), so workers import this module: it
 * does nothing at import time in a worker.
 *
 * @module
 */
import { isMainThread } from 'node:worker_threads';
import { Reactor, defineTask, maybeDeferred, type PolicyConfig } from '../src/index.js';
import { isMainModule } from './lib/is-main-module.js';
import { repeat } from './lib/repeat.js';
import { formatRatio } from './lib/format-table.js';
import { measureComparison } from './lib/measure-comparison.js';
import type { Variant, Workload } from './lib/workload.js';
import { measureInterleaved, type InterleavedBudget } from './lib/measure-interleaved.js';
import type { ResultGroup, SuiteResult } from './lib/suite-result.js';
import { fibTask, tiny, tinyTask } from './lib/workload-tasks.js';
import { writeSuiteResult } from './lib/write-suite-result.js';

/** Options of the suite (the runner passes these). */
export interface PolicyBenchOptions {
  /** Short budget and smaller workloads. */
  quick?: boolean;
  /** Time budget per variant, ms. */
  timeMs?: number;
  /** Where to write `policy.json`. */
  resultsDir?: string;
}

/** How long a blocking call of {@link sometimesBlocks} holds its thread (ms). */
const blockMs = 30;
let calls = 0;

/**
 * Usually `x + 1` in microseconds; every `every`-th call in this thread busy-waits 30 ms, like a cache
 * miss that falls through to a synchronous lookup. It declares no kind: `auto` has to find out.
 * @param x - a number.
 * @param every - one call in this many blocks.
 * @returns x + 1.
 */
export function sometimesBlocks(x: number, every: number): number {
  calls += 1;
  if (calls % every === 0) {
    const until = performance.now() + blockMs;
    while (performance.now() < until) {
      // a synchronous stall
    }
  }
  return x + 1;
}

/** `sometimesBlocksTask(x)`: no kind declared. */
export const sometimesBlocksTask = defineTask(import.meta.url, 'sometimesBlocksTask', sometimesBlocks);

/** Hand-off rounds ({@link handOffCostNs}) per interleaved round of the throughput rows: quick 360, full 1,440. */
const handOffRoundsPerRound = 60;

const threads = { minThreads: 2, maxThreads: 2 };

/**
 * A reactor with the given policy, its workers started before measuring (start-up is a one-time cost). With `log`,
 * every route `auto` picks while the variant runs is written there (task, route, ms since setup, reason's head),
 * then each task's phase at the end: which path `auto` took decides this suite's mixed rows (see {@link run}).
 */
function reactorVariant(name: string, policy: PolicyConfig, batch: (r: Reactor) => Promise<unknown>, log?: string[]): Variant {
  let reactor: Reactor | undefined;
  return {
    name,
    setup: async () => {
      reactor = new Reactor({ policy: { threads, ...policy } });
      if (log !== undefined) {
        const t0 = performance.now();
        reactor.policy.on('learn', (l) => log.push(`${l.task} → ${l.route} at ${Math.round(performance.now() - t0)} ms (${l.reason.split(';')[0]})`));
      }
      await Promise.all(repeat(4, (i) => reactor!.deferToThread(tinyTask, i)));
    },
    run: () => batch(reactor!),
    teardown: async () => {
      if (log !== undefined && reactor !== undefined) {
        const phases = Object.entries(reactor.policy.stats().auto).map(([task, figures]) => `${task}: ${figures.phase}`);
        log.push(`at the end: ${phases.join(', ')}`);
      }
      await reactor?.stop();
      reactor = undefined;
    },
  };
}

/** {@link handOffCostNs}'s figures: medians per call (ns) and paired ratios to the first variant. */
interface HandOffCost {
  /** Median ns per call of each variant, in the order given. */
  readonly ns: readonly number[];
  /** Median over the rounds of each variant's time ÷ the first's in the same round (the first's is 1). */
  readonly ratios: readonly number[];
  /** Rounds measured. */
  readonly rounds: number;
}

/**
 * The synchronous cost per call (ns) of starting `n` calls each way: in each round every variant starts one batch
 * (the order rotates from round to round), and each batch's calls are awaited, untimed, before the next starts.
 *
 * Why paired ratios: on two shared cores the cost of a thread hand-off drifts by tens of per cent over a run (load,
 * JIT, GC), more than what dispatch adds; a ratio taken within one round, its batches a few ms apart, sees the same
 * drift on both sides, and the median over the rounds drops the rounds a GC or another process hit. Pass the
 * baseline twice (an A/A control): its ratio shows how far apart two identical variants read in this run.
 */
async function handOffCostNs(variants: readonly (() => unknown[])[], n: number, rounds: number): Promise<HandOffCost> {
  const times = variants.map((): number[] => []);
  const ratios = variants.map((): number[] => []);
  const k = variants.length;
  for (let round = 0; round < rounds; round += 1) {
    const inRound: number[] = [];
    for (let j = 0; j < k; j += 1) {
      const which = (round + j) % k;
      const t0 = performance.now();
      const calls = variants[which]!();
      inRound[which] = ((performance.now() - t0) * 1e6) / n;
      await Promise.all(calls);
    }
    for (let which = 0; which < k; which += 1) {
      times[which]!.push(inRound[which]!);
      ratios[which]!.push(inRound[0]! > 0 ? inRound[which]! / inRound[0]! : 0);
    }
  }
  const med = (xs: number[]): number => [...xs].sort((p, q) => p - q)[xs.length >> 1] ?? 0;
  return { ns: times.map(med), ratios: ratios.map(med), rounds };
}

/**
 * Dispatch vs the direct call of the path the policy picks, for `n` tiny calls per sample.
 *
 * Why interleaved rounds: on two shared cores the thread path's speed drifts by ±30 % over a second (JIT, worker
 * warm-up, other processes), far more than the overhead measured, and two runs of "one variant, then the other"
 * disagreed (0.78× and 1.08×). So both variants run on one warmed reactor in many short tinybench rounds, direct
 * and dispatch alternately ({@link measureInterleaved}), and each row merges its rounds: drift hits both alike.
 *
 * Beside it, the part of the overhead that does not drift: the synchronous cost of handing `n` calls to the route
 * (dispatch returns once each call is queued, spawned or, inline, run), direct, dispatch and direct again timed in
 * rotating order over many rounds ({@link handOffCostNs}); the difference per call is what `dispatch` adds, whatever
 * the route's own round trip costs, and direct-again's ratio is the run's noise floor.
 */
async function overheadGroup(
  route: 'thread' | 'green' | 'inline',
  n: number,
  budget: InterleavedBudget,
  log: (line: string) => void,
): Promise<{ group: ResultGroup; note: string }> {
  const reactor = new Reactor({ policy: { threads, default: route } });
  const direct: Record<typeof route, () => unknown[]> = {
    thread: () => repeat(n, (i) => reactor.deferToThread(tinyTask, i)),
    green: () => repeat(n, (i) => reactor.deferToGreenlet(tinyTask, i)),
    inline: () => repeat(n, (i) => maybeDeferred(tiny, i)),
  };
  const viaDispatch = (): unknown[] => repeat(n, (i) => reactor.dispatch(tinyTask, i));
  try {
    await Promise.all(direct[route]()); // start the workers
    const group = await measureInterleaved(
      'policy',
      {
        name: `dispatch overhead: ${route}`,
        description: `${n} tiny tasks per sample, routed to ${route} by the policy's default, vs calling that path directly; interleaved rounds.`,
        batch: n,
        baseline: 'direct',
        // 'direct, again' is an A/A control: it runs the direct path a second time, after dispatch in each round, so
        // its ratio to 'direct' is the noise floor of this run (the load and the order); read dispatch's ratio
        // against it, not against 1.00×.
        variants: [
          { name: 'direct', run: () => Promise.all(direct[route]()) },
          { name: 'dispatch', run: () => Promise.all(viaDispatch()) },
          { name: 'direct, again', run: () => Promise.all(direct[route]()) },
        ],
      },
      budget,
      log,
    );
    const cost = await handOffCostNs([direct[route], viaDispatch, direct[route]], n, budget.rounds * handOffRoundsPerRound);
    const [d = 0, x = 0, again = 0] = cost.ns;
    const note = `dispatch overhead, ${route}: handing a call to the route takes ${Math.round(x)} ns through dispatch vs ${Math.round(d)} ns directly (${formatRatio(cost.ratios[1] ?? 0)}, the median of ${cost.rounds} rounds' ratios; A/A control: direct again ${Math.round(again)} ns, ${formatRatio(cost.ratios[2] ?? 0)}; batches of ${n}, order rotating): dispatch adds ${Math.round(x - d)} ns per call.`;
    log(`  [policy] ${group.name}: dispatch ${formatRatio(group.rows[1]?.ratio ?? 0)} of direct (A/A control ${formatRatio(group.rows[2]?.ratio ?? 0)}); ${note}`);
    return { group, note };
  } finally {
    await reactor.stop();
  }
}

/**
 * What `auto`'s learning costs once it chose inline: `dispatch` of a tiny task `auto` moved inline (after its thread
 * runs, its in-process window full, so one run in `inlineSampleEvery` is timed) vs `dispatch` on a reactor whose
 * policy routes everything inline — the same API shape and route, without the learning. Issue 12: auto ≥ 0.9× the
 * fixed-route dispatch; a cached decision should cost a lookup. Interleaved rounds, with an A/A control.
 */
async function autoVersusFixedGroup(n: number, budget: InterleavedBudget, log: (line: string) => void): Promise<{ group: ResultGroup; note: string }> {
  const auto = new Reactor({ policy: { threads, default: 'auto' } });
  const fixed = new Reactor({ policy: { threads, default: 'inline' } });
  const via = (r: Reactor) => (): Promise<unknown> => Promise.all(repeat(n, (i) => r.dispatch(tinyTask, i)));
  try {
    // Learn: 20 thread runs move tinyTask inline, then 20 timed inline runs fill its in-process window.
    for (let i = 0; i < 4 && auto.explain(tinyTask, 0).route !== 'inline'; i += 1) await via(auto)();
    await via(auto)();
    const learned = auto.explain(tinyTask, 0);
    if (learned.route !== 'inline') throw new Error(`auto did not move tinyTask inline: ${learned.reason}`);
    // Where tinyTask goes while measured: one timed run stretched past blockingThresholdMs by a pause of the process
    // (a deschedule, a GC pause) sends it to threads for good (blockingRunsToPin 1), and the rows then time the thread
    // route (~1 us a call here, 14x the fixed inline route in two runs at load 6-8) rather than auto's sampled timing.
    const moves: string[] = [];
    auto.policy.on('learn', (l) => moves.push(`${l.task} → ${l.route} (${l.reason})`));
    const group = await measureInterleaved(
      'policy',
      {
        name: 'auto vs the fixed inline route',
        description: `${n} tiny tasks per sample through dispatch: auto (learned: inline) vs a policy with default 'inline'; interleaved rounds.`,
        batch: n,
        baseline: 'dispatch, route inline',
        variants: [
          { name: 'dispatch, route inline', run: via(fixed) },
          { name: 'dispatch, auto', run: via(auto) },
          { name: 'dispatch, route inline, again', run: via(fixed) },
        ],
      },
      budget,
      log,
    );
    const phase = auto.policy.stats().auto.tinyTask?.phase;
    const start = (r: Reactor) => (): unknown[] => repeat(n, (i) => r.dispatch(tinyTask, i));
    const cost = await handOffCostNs([start(fixed), start(auto), start(fixed)], n, budget.rounds * handOffRoundsPerRound);
    const [f = 0, a = 0, again = 0] = cost.ns;
    const where =
      moves.length === 0
        ? 'tinyTask stayed inline throughout'
        : `tinyTask moved while measured, so part of these rounds timed another route: ${moves.join('; ')}; it ended ${auto.policy.stats().auto.tinyTask?.phase ?? '?'}`;
    const note = `auto once it chose inline: a dispatch takes ${Math.round(a)} ns vs ${Math.round(f)} ns on the fixed inline route (${formatRatio(cost.ratios[1] ?? 0)}, the median of ${cost.rounds} rounds' ratios; A/A control: the fixed route again ${Math.round(again)} ns, ${formatRatio(cost.ratios[2] ?? 0)}; batches of ${n}, order rotating): the sampled timing adds ${Math.round(a - f)} ns per call on average; ${where}.`;
    log(`  [policy] ${group.name}: auto ${formatRatio(group.rows[1]?.ratio ?? 0)} of the fixed route (A/A control ${formatRatio(group.rows[2]?.ratio ?? 0)}); tinyTask ended ${phase ?? '?'}; ${note}`);
    return { group, note };
  } finally {
    await Promise.all([auto.stop(), fixed.stop()]);
  }
}

/** The mixed workload under auto, all threads and all green; `autoLog` receives what auto learnt (see reactorVariant). */
function mixedWorkload(fibN: number, blockEvery: number, autoLog: string[]): Workload {
  const batch = (r: Reactor): Promise<unknown> =>
    Promise.all([
      ...repeat(4, () => r.dispatch(fibTask, fibN)),
      ...repeat(100, (i) => r.dispatch(tinyTask, i)),
      ...repeat(8, (i) => r.dispatch(sometimesBlocksTask, i, blockEvery)),
    ]);
  return {
    name: `mixed, 1 in ${blockEvery} blocks: auto vs fixed routes`,
    description: `Per sample: 4 fib(${fibN}) (kind cpu), 100 tiny tasks (no kind), 8 no-kind tasks of which 1 in ${blockEvery} blocks ${blockMs} ms.`,
    batch: 112,
    baseline: 'all threads',
    variants: [
      reactorVariant('all threads', { default: 'thread' }, batch),
      reactorVariant('all green', { default: 'green' }, batch),
      reactorVariant('auto', { default: 'auto' }, batch, autoLog),
    ],
  };
}

/**
 * The mixed rows' throughput from the mean sample time (batch ÷ mean), beside the table's (batch ÷ median).
 *
 * Why: a sample of these rows holds a 30 ms stall or not (each worker stalls on every `blockEvery`-th call of its
 * own), so sample times are bimodal — 400 all-threads batches at 1 in 25 read p25 ~4 ms and p75 ~34 ms — and the
 * median lands on either side from run to run (all threads read 34,381 and 10,014 ops/s in two runs of one day).
 * The mean counts every stall in the samples it reads: the stored ones, the first 500 of a row at most.
 */
function meanThroughputNote(group: ResultGroup): string {
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const base = group.rows.find((r) => r.name === group.baseline);
  const baseMean = base === undefined ? 0 : mean(base.samplesMs);
  const parts = group.rows.map((r) => {
    const m = mean(r.samplesMs);
    return `${r.name} ${m.toFixed(2)} ms (${formatRatio(m > 0 && baseMean > 0 ? baseMean / m : 0)})`;
  });
  return `${group.name}, throughput from the mean sample time (batch ÷ mean of the stored samples, the first 500 at most; the table uses the median, which this row's bimodal samples make unstable): ${parts.join(', ')}.`;
}

/**
 * Runs the suite, prints its tables and writes `bench/results/policy.json`.
 * @param options - quick mode, time budget, results directory.
 * @returns the result.
 */
export async function run(options: PolicyBenchOptions = {}): Promise<SuiteResult> {
  const quick = options.quick ?? false;
  const fibN = quick ? 22 : 25;
  const log = (line: string): void => console.log(line);
  const overhead: ResultGroup[] = [];
  const overheadNotes: string[] = [];
  const budget: InterleavedBudget = quick ? { rounds: 6, timeMs: 40, iterations: 5 } : { rounds: 24, timeMs: 120, iterations: 10 };
  for (const route of ['thread', 'green', 'inline'] as const) {
    const { group, note } = await overheadGroup(route, quick ? 50 : 100, budget, log);
    overhead.push(group);
    overheadNotes.push(note);
  }
  const learned = await autoVersusFixedGroup(quick ? 50 : 100, budget, log);
  overhead.push(learned.group);
  overheadNotes.push(learned.note);
  const autoLogs: [number, string[]][] = [
    [5, []],
    [25, []],
  ];
  const mixed = await measureComparison(autoLogs.map(([every, autoLog]) => mixedWorkload(fibN, every, autoLog)), {
    suite: 'policy',
    title: 'Policy: dispatch overhead and the auto route',
    description:
      'dispatch vs calling the chosen path directly (targets: ≥ 0.98× on threads, cost ≤ 1.1× deferToGreenlet, ≤ 1.5× maybeDeferred), and a mixed workload under auto vs all-threads vs all-green (target: auto ≥ the better fixed route, loop p99 ≤ 1.2× all-threads).',
    quick,
    ...(options.timeMs !== undefined ? { timeMs: options.timeMs } : {}),
    notes: [
      'Threads: a pool of 2 workers (the machine has 2 cores, shared with the benchmark itself).',
      'auto: fib is kind cpu (threads); tiny tasks and sometimesBlocks declare no kind, start on threads and, both synchronous, move inline once the median of their last 20 thread runs is under their hop. Where sometimesBlocks ends depends on when auto sees one of its 30 ms calls: a slow thread run keeps it on threads while that run is in its window of 20 (each worker counts its own calls, so at 1 in 25 a fresh pool rarely blocks during the first 20); inline, only the timed runs see one (its first 20 inline runs, then one in 16 on average, and every run for a while after a timed run finds the loop was held since the previous one within one synchronous stretch), and every untimed blocking run holds the loop 30 ms until a timed one sends the task to threads for good. How many such stalls fall inside the measured rounds varies from run to run, and the mixed rows with it; the notes below list what auto learnt and when.',
      'all green runs fib and the blocking calls on the event loop: they are single greenlet steps, so the loop stalls.',
    ],
  });
  const autoNotes = autoLogs.map(([every, autoLog]) => `mixed, 1 in ${every} blocks, what auto learnt: ${autoLog.join('; ') || 'nothing'}.`);
  autoNotes.push(...mixed.groups.map(meanThroughputNote));
  for (const note of autoNotes) log(`  [policy] ${note}`);
  const result: SuiteResult = { ...mixed, groups: [...overhead, ...mixed.groups], notes: [...mixed.notes, ...overheadNotes, ...autoNotes] };
  await writeSuiteResult(result, options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {});
  return result;
}

if (isMainThread && isMainModule(import.meta.url)) {
  await run({ quick: process.argv.includes('--quick') });
}
