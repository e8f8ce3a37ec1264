/**
 * `workloads` suite: the same workloads through inline (the bare call), `maybeDeferred`, `deferToThread`,
 * `deferToGreenlet`, `dispatch` with a policy fixed to inline and `dispatch` (auto), as throughput ratios against the
 * bare call, with event-loop delay beside them.
 *
 * It answers "which path wins for this work, and what does it cost the loop": threads win CPU
 * and blocking calls and keep the loop free; greenlets cost little for cooperative I/O and tiny
 * tasks but cannot make a blocking call stop blocking; large payloads pay for the copy unless
 * transferred. One sample is a batch of operations started together.
 *
 * Each workload's variants run in interleaved rounds (every variant once per round, the order reversed every other
 * round), each row merging its rounds, with an A/A control (`inline, again`: the baseline measured a second time):
 * on a shared machine a variant measured seconds after another saw a different load, and one run's ratios moved by
 * 2× between runs (the tiny row read 0.42× once and 0.21× the next). The control's ratio to the baseline is the
 * noise floor of the run.
 *
 * Run: `npm run bench -- workloads [--quick]` or `node dist/bench/workloads.bench.js [--quick]`.
 *
 * @module
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reactor, maybeDeferred, type Task } from '../src/index.js';
import { isMainModule } from './lib/is-main-module.js';
import { repeat } from './lib/repeat.js';
import type { Variant, Workload } from './lib/workload.js';
import { formatPairedRatios, pairedRatios } from './lib/paired-ratios.js';
import { measureInterleaved, type InterleavedBudget, type InterleavedOptions } from './lib/measure-interleaved.js';
import { formatRouteVerdict, routeVerdict } from './lib/route-verdict.js';
import { suiteResult, type ResultGroup, type SuiteResult } from './lib/suite-result.js';
import {
  closeBenchConnections, cooperativeIo, fib, fibTask, ioTask, pagedSqliteQuery, payloadTask, payloadTransferTask, sqliteQuery, sqliteTask, tiny, tinyTask,
  checksum, coldCalls, costByArgument, costByArgumentTask, slowCallMs, warmsUp, warmsUpTask,
} from './lib/workload-tasks.js';
import { writeSuiteResult } from './lib/write-suite-result.js';

/** Options of the suite (the runner passes these). */
export interface WorkloadsOptions {
  /** Short budget and smaller workloads. */
  quick?: boolean;
  /** Time budget per variant, ms (over all its rounds). */
  timeMs?: number;
  /** Where to write `workloads.json`. */
  resultsDir?: string;
}

const rowsInDb = 200_000;

function makeDatabase(dir: string): string {
  const file = join(dir, 'bench.db');
  const db = new Database(file);
  db.exec('CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, grp INTEGER NOT NULL, val INTEGER NOT NULL)');
  const insert = db.prepare('INSERT INTO bench_rows VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= rowsInDb; i++) insert.run(i, i % 101, (i * 2654435761) % 10007);
  })();
  db.close();
  return file;
}

type Call = { task: Task; inline: (...args: any[]) => unknown; args: () => unknown[] };

/**
 * The paths for a batch of calls; the green path gets the plain function, as a user would pass it.
 *
 * `inline`, the baseline, is the bare call: a plain value, no Deferred. The inline route a user picks by hand is
 * `dispatch(inline)`: `dispatch` on `fixedInline`, a reactor whose policy routes everything inline — a Deferred per
 * call, as `auto` returns; it is the inline candidate of the verdict (see bench/lib/route-verdict.ts), as
 * `deferToGreenlet` and `deferToThread` are the green and thread ones. `maybeDeferred` is the Deferred floor: the
 * bare call wrapped in a Deferred and nothing else, which shows how much of the gap to the bare call no
 * Deferred-returning path can close.
 * @param fixedInline - a reactor with `default: 'inline'`, for the `dispatch(inline)` row.
 * @param fresh - for workloads with state: makes a new call source per path (each path then starts from the
 *   first call), else all paths share `calls`.
 * The last path, {@link control}, is the baseline (`inline`) measured a second time: the A/A control.
 */
function paths(reactor: Reactor, fixedInline: Reactor, calls: () => Call[], fresh?: () => () => Call[]): Variant[] {
  const ways: Array<[string, (batch: Call[]) => Promise<unknown>]> = [
    ['inline', (batch) => Promise.all(batch.map((c) => c.inline(...c.args())))],
    ['maybeDeferred', (batch) => Promise.all(batch.map((c) => maybeDeferred(c.inline, ...c.args())))],
    ['deferToThread', (batch) => Promise.all(batch.map((c) => reactor.deferToThread(c.task, ...c.args())))],
    ['deferToGreenlet', (batch) => Promise.all(batch.map((c) => reactor.deferToGreenlet(c.inline, ...c.args())))],
    ['dispatch(inline)', (batch) => Promise.all(batch.map((c) => fixedInline.dispatch(c.task, ...c.args())))],
    ['dispatch(auto)', (batch) => Promise.all(batch.map((c) => reactor.dispatch(c.task, ...c.args())))],
    // The A/A control: the baseline again, with a call source of its own (see the module comment).
    [control, (batch) => Promise.all(batch.map((c) => c.inline(...c.args())))],
  ];
  return ways.map(([name, run]) => {
    let source = calls;
    return { name, ...(fresh === undefined ? {} : { setup: () => void (source = fresh()) }), run: () => run(source()) };
  });
}

/** Calls of {@link warmsUp}, numbered from 0 per source: every path goes through the same cold start. */
function coldStartCalls(batch: number): () => Call[] {
  let next = 0;
  return () => repeat(batch, () => {
    const call = next++;
    return { task: warmsUpTask, inline: warmsUp, args: () => [call] };
  });
}

/** The A/A control row's name: the baseline, `inline`, measured a second time in each round. */
const control = 'inline, again';

/**
 * Rounds per workload; each runs every variant once for `timeMs / rounds`. A slow workload (a batch takes tens of ms)
 * gets twice the rounds at half the time and one sample at least: the same time per variant, but twice the paired
 * ratios for the median (8 rounds of 113 ms were 3 or 4 fib batches a round, and the fib row's verdict read 0.82×
 * then 1.10× ten minutes apart).
 */
function budgetOf(quick: boolean, timeMs: number | undefined): { budget: InterleavedBudget; slow: InterleavedBudget; options: InterleavedOptions } {
  const rounds = quick ? 3 : 8;
  const perVariantMs = timeMs ?? (quick ? 100 : 900);
  return {
    budget: { rounds, timeMs: Math.max(1, Math.round(perVariantMs / rounds)), iterations: 2 },
    slow: { rounds: 2 * rounds, timeMs: Math.max(1, Math.round(perVariantMs / (2 * rounds))), iterations: 1 },
    // Each sample turns the loop, so the loop-delay timer sees a blocking path sample by sample; the order alternates;
    // each row's ratio is the median of its per-round ratios to the baseline.
    options: { turnLoop: true, alternate: true, errorRows: true, warmupMs: quick ? 30 : 100, pairedRatios: true },
  };
}

/** A workload of this suite; `slow`: a batch takes tens of ms, so it is measured in more, shorter rounds. */
type SuiteWorkload = Workload & { readonly slow?: true };

/**
 * Runs the suite, prints its tables and writes `bench/results/workloads.json`.
 * @param options - quick mode, time budget, results directory.
 * @returns the result.
 */
export async function run(options: WorkloadsOptions = {}): Promise<SuiteResult> {
  const quick = options.quick ?? false;
  const dir = mkdtempSync(join(tmpdir(), 'greenreactor-bench-'));
  const smallFile = join(dir, 'small.txt');
  writeFileSync(smallFile, 'x'.repeat(4096));
  const dbFile = makeDatabase(dir);
  const reactor = new Reactor({ policy: { default: 'auto', threads: { minThreads: 2, maxThreads: 2 } } });
  // The fixed inline route through dispatch (no thread is ever used: one idle worker at most).
  const fixedInline = new Reactor({ policy: { default: 'inline', threads: { minThreads: 1, maxThreads: 1 } } });
  try {
    // Start both workers before measuring: thread start-up is a one-time cost, not a per-call one.
    await Promise.all(repeat(4, (i) => reactor.deferToThread(tinyTask, i)));
    const n = quick ? 27 : 30;
    const span = 20_000; // rows per query: a few ms of blocking work
    const fibCall = (): Call => ({ task: fibTask, inline: fib, args: () => [n] });
    const sqlCall = (i: number): Call => ({ task: sqliteTask, inline: sqliteQuery, args: () => [dbFile, (i * span) % rowsInDb, ((i * span) % rowsInDb) + span] });
    const ioCall = (): Call => ({ task: ioTask, inline: cooperativeIo, args: () => [smallFile] });
    const tinyCall = (i: number): Call => ({ task: tinyTask, inline: tiny, args: () => [i] });
    const mib = 2 ** 20;
    // One shared payload for the copying paths: a fresh 1 MiB per call makes V8 collect garbage on
    // nearly every batch, and that noise swamped the copy being measured. Transfer detaches the
    // buffer, so that row must allocate a fresh one per call (its figure includes the allocation).
    const shared = new Uint8Array(mib).fill(7);
    const payloadCall = (task: Task): Call => ({ task, inline: checksum, args: () => [shared] });
    const workloads: SuiteWorkload[] = [
      { name: `CPU: fib(${n})`, description: 'Recursive Fibonacci, pure CPU, 4 at once on 2 threads.', batch: 4, baseline: 'inline', slow: true, variants: paths(reactor, fixedInline, () => repeat(4, fibCall)) },
      {
        name: 'blocking: better-sqlite3',
        description: `A synchronous aggregate over ${span.toLocaleString('en-US')} rows of a file database, 4 at once; "paged" splits each into 8 queries with a yield between.`,
        batch: 4,
        baseline: 'inline',
        variants: [
          ...paths(reactor, fixedInline, () => repeat(4, sqlCall)),
          {
            name: 'deferToGreenlet (paged)',
            run: () => Promise.all(repeat(4, (i) => reactor.deferToGreenlet(pagedSqliteQuery, ...(sqlCall(i).args() as [string, number, number]), 8))),
          },
        ],
      },
      { name: 'cooperative I/O', description: 'An async function: a 1 ms timer and two async 4 KiB file reads, 16 at once.', batch: 16, baseline: 'inline', variants: paths(reactor, fixedInline, () => repeat(16, ioCall)) },
      { name: 'tiny tasks', description: '`x + 1`, 100 at once: the per-call overhead of each path (no kind: auto learns).', batch: 100, baseline: 'inline', variants: paths(reactor, fixedInline, () => repeat(100, tinyCall)) },
      {
        name: '1 MiB payload',
        description: 'A 1 MiB Uint8Array per call, checksummed; structured clone vs transfer (a fresh buffer per call) into the worker, 8 at once.',
        batch: 8,
        baseline: 'inline',
        warmupRuns: quick ? 10 : 25,
        variants: [
          ...paths(reactor, fixedInline, () => repeat(8, () => payloadCall(payloadTask))),
          { name: 'deferToThread (transfer)', run: () => Promise.all(repeat(8, () => reactor.deferToThread(payloadTransferTask, new Uint8Array(mib).fill(7)))) },
        ],
      },
      {
        name: 'mix',
        description: 'One batch of 2 fib, 2 sqlite queries, 8 cooperative I/O and 20 tiny tasks.',
        batch: 32,
        baseline: 'inline',
        slow: true,
        variants: paths(reactor, fixedInline, () => [...repeat(2, fibCall), ...repeat(2, sqlCall), ...repeat(8, ioCall), ...repeat(20, tinyCall)]),
      },
      {
        name: 'cost by argument',
        description: `\`x + 1\`, except one call in ten (x % 10 = 9) holds its thread ${slowCallMs} ms; 20 at once (no kind: auto learns).`,
        batch: 20,
        baseline: 'inline',
        slow: true,
        variants: paths(reactor, fixedInline, () => repeat(20, (i): Call => ({ task: costByArgumentTask, inline: costByArgument, args: () => [i] }))),
      },
      {
        name: 'turns cheap',
        description: `The first ${coldCalls.count} calls hold their thread ${coldCalls.ms} ms (a cold cache), later ones are \`x + 1\`; 10 at once, each path from its first call (no kind: auto learns).`,
        batch: 10,
        baseline: 'inline',
        variants: paths(reactor, fixedInline, coldStartCalls(10), () => coldStartCalls(10)),
      },
    ];
    const started = performance.now();
    const { budget, slow, options: measureOptions } = budgetOf(quick, options.timeMs);
    const log = (line: string): void => console.log(line);
    const groups: ResultGroup[] = [];
    for (const workload of workloads) {
      // The control last (the order alternates per round, so it runs right after the baseline every other round).
      const variants = [...workload.variants.filter((v) => v.name !== control), ...workload.variants.filter((v) => v.name === control)];
      groups.push(await measureInterleaved('workloads', { ...workload, variants }, workload.slow === true ? slow : budget, log, measureOptions));
    }
    const result = suiteResult({
      suite: 'workloads',
      title: 'Workloads: which path wins, and what it costs the loop',
      description: 'The same workloads through inline (the bare call), maybeDeferred, deferToThread, deferToGreenlet, dispatch(inline) and dispatch(auto); throughput and loop delay as ratios vs the bare call, measured in interleaved rounds with an A/A control.',
      quick,
      groups,
      notes: [
        'Threads: a pool of 2 workers (the machine has 2 cores, shared with the benchmark itself).',
        `Interleaved rounds: each workload's variants run ${budget.rounds} rounds of ${budget.timeMs} ms each (${slow.rounds} of ${slow.timeMs} ms for the slow ones: ${workloads.filter((w) => w.slow === true).map((w) => w.name).join(', ')}), the order reversed every other round, the loop turned after every sample. Every ratio is the median of the per-round ratios (the row's median sample in a round against the baseline's in the same round), so a burst of load that spoils a few rounds moves it no more than it moves the median; ops/s is the baseline's times that ratio, and the verdicts pair auto with the best route round by round. "${control}" is the baseline measured again in every round, an A/A control: the line of each workload below gives its median per-round ratio to inline and their 10th–90th percentiles, the spread within which a difference between two rows is noise.`,
        'deferToGreenlet runs the plain function: a synchronous call is one greenlet step, so it blocks the loop as inline does; greenlets help when the code yields.',
        'inline (the baseline) is the bare call: a plain value, no Deferred. maybeDeferred is that call wrapped in a Deferred and nothing else: the floor of every Deferred-returning path, dispatch included, which on tiny work sits far below the bare call.',
        "dispatch(inline) is dispatch on a reactor whose policy routes everything inline: the inline route as a user picks it by hand (a Deferred per call, as auto returns), and the verdict's inline candidate.",
        'dispatch(auto): a task starts where its kind says (cpu/blocking and no kind → thread, io → in-process) and moves by what it measures: a median thread run under its hop or minThreadRunMs → in-process (inline when synchronous); a median timed in-process run at or over both → back to threads; an in-process run over blockingThresholdMs → threads for good (adaptive.blockingRunsToPin, default 1).',
        'Verdict per workload (issue 12): the best fixed route is the fastest of the routes picked by hand — dispatch(inline), deferToGreenlet and deferToThread — whose loop-delay p99 is under blockingThresholdMs or within 2× deferToThread\'s; auto should reach ≥ 0.9× its throughput with loop p99 ≤ 1.5× its (or under blockingThresholdMs). Each verdict also gives auto\'s throughput against the bare call (inline).',
      ],
    }, started);
    const thresholdMs = reactor.policy.adaptive.blockingThresholdMs;
    const verdicts = result.groups.map((group) => {
      const aa = group.rows.find((r) => r.name === control);
      const base = group.rows.find((r) => r.name === group.baseline);
      const noise =
        aa?.roundMedianMs === undefined || base?.roundMedianMs === undefined || aa.error !== undefined
          ? ''
          : `; A/A control (${control}) ${formatPairedRatios(pairedRatios(base.roundMedianMs, aa.roundMedianMs))} of inline per round`;
      return formatRouteVerdict(routeVerdict(group, { blockingThresholdMs: thresholdMs })) + noise;
    });
    // Where auto left each task, and why: a verdict that is not met is read with this (e.g. a green step that a loaded
    // machine stretched past blockingThresholdMs sends a task to threads for good).
    const learned = Object.entries(reactor.policy.stats().auto).map(([task, s]) => `${task}: ${s.phase}`);
    const finalRoutes = `auto at the end of the run, per task (phase): ${learned.join('; ')}; ioTask (kind io) is judged by what it does in-process: ${reactor.explain(ioTask, smallFile).reason}`;
    const judged: SuiteResult = { ...result, notes: [...result.notes, ...verdicts, finalRoutes] };
    await writeSuiteResult(judged, options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {});
    return judged;
  } finally {
    await Promise.all([reactor.stop(), fixedInline.stop()]);
    closeBenchConnections();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMainModule(import.meta.url)) {
  await run({ quick: process.argv.includes('--quick') });
}
