/**
 * `workloads` suite: the same workloads through inline, `deferToThread`, `deferToGreenlet` and
 * `dispatch` (auto), as throughput ratios against inline, with event-loop delay beside them.
 *
 * It answers "which path wins for this work, and what does it cost the loop": threads win CPU
 * and blocking calls and keep the loop free; greenlets cost little for cooperative I/O and tiny
 * tasks but cannot make a blocking call stop blocking; large payloads pay for the copy unless
 * transferred. One sample is a batch of operations started together.
 *
 * Run: `npm run bench -- workloads [--quick]` or `node dist/bench/workloads.bench.js [--quick]`.
 *
 * @module
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reactor, type Task } from '../src/index.js';
import { isMainModule } from './lib/is-main-module.js';
import { measureComparison, type Variant, type Workload } from './lib/measure-comparison.js';
import type { SuiteResult } from './lib/suite-result.js';
import {
  closeBenchConnections, cooperativeIo, fib, fibTask, ioTask, pagedSqliteQuery, payloadTask, payloadTransferTask, sqliteQuery, sqliteTask, tiny, tinyTask,
  checksum,
} from './lib/workload-tasks.js';
import { writeSuiteResult } from './lib/write-suite-result.js';

/** Options of the suite (the runner passes these). */
export interface WorkloadsOptions {
  /** Short budget and smaller workloads. */
  quick?: boolean;
  /** Time budget per variant, ms. */
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

/** The four paths for a batch of calls; the green path gets the plain function, as a user would pass it. */
function paths(reactor: Reactor, calls: () => Call[]): Variant[] {
  return [
    { name: 'inline', run: () => Promise.all(calls().map((c) => c.inline(...c.args()))) },
    { name: 'deferToThread', run: () => Promise.all(calls().map((c) => reactor.deferToThread(c.task, ...c.args()))) },
    { name: 'deferToGreenlet', run: () => Promise.all(calls().map((c) => reactor.deferToGreenlet(c.inline, ...c.args()))) },
    { name: 'dispatch(auto)', run: () => Promise.all(calls().map((c) => reactor.dispatch(c.task, ...c.args()))) },
  ];
}

const repeat = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

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
    const workloads: Workload[] = [
      { name: `CPU: fib(${n})`, description: 'Recursive Fibonacci, pure CPU, 4 at once on 2 threads.', batch: 4, baseline: 'inline', variants: paths(reactor, () => repeat(4, fibCall)) },
      {
        name: 'blocking: better-sqlite3',
        description: `A synchronous aggregate over ${span.toLocaleString('en-US')} rows of a file database, 4 at once; "paged" splits each into 8 queries with a yield between.`,
        batch: 4,
        baseline: 'inline',
        variants: [
          ...paths(reactor, () => repeat(4, sqlCall)),
          {
            name: 'deferToGreenlet (paged)',
            run: () => Promise.all(repeat(4, (i) => reactor.deferToGreenlet(pagedSqliteQuery, ...(sqlCall(i).args() as [string, number, number]), 8))),
          },
        ],
      },
      { name: 'cooperative I/O', description: 'An async function: a 1 ms timer and two async 4 KiB file reads, 16 at once.', batch: 16, baseline: 'inline', variants: paths(reactor, () => repeat(16, ioCall)) },
      { name: 'tiny tasks', description: '`x + 1`, 100 at once: the per-call overhead of each path (no kind: auto learns).', batch: 100, baseline: 'inline', variants: paths(reactor, () => repeat(100, tinyCall)) },
      {
        name: '1 MiB payload',
        description: 'A 1 MiB Uint8Array per call, checksummed; structured clone vs transfer (a fresh buffer per call) into the worker, 8 at once.',
        batch: 8,
        baseline: 'inline',
        warmupRuns: quick ? 10 : 25,
        variants: [
          ...paths(reactor, () => repeat(8, () => payloadCall(payloadTask))),
          { name: 'deferToThread (transfer)', run: () => Promise.all(repeat(8, () => reactor.deferToThread(payloadTransferTask, new Uint8Array(mib).fill(7)))) },
        ],
      },
      {
        name: 'mix',
        description: 'One batch of 2 fib, 2 sqlite queries, 8 cooperative I/O and 20 tiny tasks.',
        batch: 32,
        baseline: 'inline',
        variants: paths(reactor, () => [...repeat(2, fibCall), ...repeat(2, sqlCall), ...repeat(8, ioCall), ...repeat(20, tinyCall)]),
      },
    ];
    const result = await measureComparison(workloads, {
      suite: 'workloads',
      title: 'Workloads: which path wins, and what it costs the loop',
      description: 'The same workloads through inline, deferToThread, deferToGreenlet and dispatch (auto); throughput and loop delay as ratios vs inline.',
      quick,
      ...(options.timeMs !== undefined ? { timeMs: options.timeMs } : {}),
      notes: [
        'Threads: a pool of 2 workers (the machine has 2 cores, shared with the benchmark itself).',
        'deferToGreenlet runs the plain function: a synchronous call is one greenlet step, so it blocks the loop as inline does; greenlets help when the code yields.',
        'dispatch(auto) routes by kind (cpu/blocking → thread, io → green); tinyTask has no kind, so it starts on threads and moves to greenlets once its runs are short.',
      ],
    });
    await writeSuiteResult(result, options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {});
    return result;
  } finally {
    await reactor.stop();
    closeBenchConnections();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMainModule(import.meta.url)) {
  await run({ quick: process.argv.includes('--quick') });
}
