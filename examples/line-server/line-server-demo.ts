/**
 * The line-server demo: two clients ask a server for a slow lookup at the same moment, with the
 * lookup run three ways.
 *
 * - `inline`: the handler calls the synchronous query on the event loop. The server serves the
 *   clients one after the other; the second waits about twice as long, and nothing else (timers,
 *   other sockets) runs meanwhile.
 * - `deferToThread`: the handler sends the query to a worker thread (a task defined once with
 *   `defineTask`) and returns a Deferred. Both lookups run at the same time on two threads.
 * - `deferToGreenlet`: the handler runs a cooperative version of the query (pages with a `yield`
 *   between them) as a greenlet. Both lookups progress together, interleaved on the one main
 *   thread, and the loop stays responsive; they take as long in total as inline, but neither
 *   client waits behind the other.
 *
 * @module
 */
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Reactor } from '../../src/index.js'; // in your code: from 'greenreactor'
import { cooperativeLookup } from './cooperative-lookup.js';
import { connectLineClient, type ClientExchange } from './line-client.js';
import { startLineServer, type LookupHandler, type LookupSpan } from './line-server.js';
import { calibrateLookup, createLookupDatabase, lookupRange } from './lookup-database.js';
import { lookupTask } from './lookup-task.js';
import { Timeline, type TimelineEntry } from './timeline.js';

/** How the server runs the lookup. */
export type LineServerMode = 'inline' | 'deferToThread' | 'deferToGreenlet';

/** The three modes, in the order the demo runs them. */
export const lineServerModes: readonly LineServerMode[] = ['inline', 'deferToThread', 'deferToGreenlet'];

/** What happened in one mode. */
export interface ModeReport {
  /** The mode. */
  readonly mode: LineServerMode;
  /** Each client's send and reply times. */
  readonly clients: readonly ClientExchange[];
  /** The server's lookups, in completion order. */
  readonly spans: readonly LookupSpan[];
  /** Whether the two lookups' intervals overlapped in time. */
  readonly overlapped: boolean;
  /** The longest event-loop stall while the mode ran, in ms. */
  readonly worstLoopStallMs: number;
  /** The timeline. */
  readonly timeline: readonly TimelineEntry[];
}

/** The whole demo's outcome. */
export interface LineServerDemoReport {
  /** The calibrated duration one lookup was tuned to, in ms. */
  readonly targetMs: number;
  /** The lookup's range length after calibration. */
  readonly rows: number;
  /** One report per mode. */
  readonly modes: readonly ModeReport[];
}

/** Options of {@link runLineServerDemo}. */
export interface LineServerDemoOptions {
  /** Lookups of ~150 ms instead of ~1 s. @defaultValue false */
  readonly quick?: boolean;
  /** Where to print; `null` prints nothing. @defaultValue console.log */
  readonly log?: ((line: string) => void) | null;
  /** Which modes to run. @defaultValue all three */
  readonly modes?: readonly LineServerMode[];
}

/**
 * Tells whether two lookups' intervals overlap (each started before the other finished).
 * @param spans - the server's lookups.
 * @returns true when at least two of them overlap.
 */
export function spansOverlap(spans: readonly LookupSpan[]): boolean {
  return spans.some((a, i) => spans.some((b, j) => i !== j && a.startMs < b.endMs && b.startMs < a.endMs));
}

async function runMode(mode: LineServerMode, handler: LookupHandler): Promise<ModeReport> {
  const timeline = new Timeline();
  const server = await startLineServer(handler, timeline, mode);
  const [a, b] = await Promise.all([connectLineClient(server.port, 'A', timeline), connectLineClient(server.port, 'B', timeline)]);
  const stalls = monitorEventLoopDelay({ resolution: 5 });
  stalls.enable();
  // Both requests leave in the same tick: "two clients connect at the same moment".
  const clients = await Promise.all([a.lookup('7'), b.lookup('3')]);
  stalls.disable();
  await server.close();
  return {
    mode,
    clients,
    spans: [...server.spans],
    overlapped: spansOverlap(server.spans),
    // The histogram's readings include its 5 ms sampling interval.
    worstLoopStallMs: Math.max(0, Math.round(stalls.max / 1e6 - 5)),
    timeline: timeline.entries(),
  };
}

const pad = (s: string, n: number): string => s.padEnd(n);
const ms = (n: number): string => `${Math.round(n).toLocaleString('en-US')} ms`;

/**
 * Prints a summary table of the modes.
 * @param report - the demo's report.
 * @returns the table's lines.
 */
export function formatLineServerSummary(report: LineServerDemoReport): string[] {
  const head = `${pad('mode', 17)}${pad('client A reply', 16)}${pad('client B reply', 16)}${pad('lookups', 26)}worst loop stall`;
  const lines = [head, '-'.repeat(head.length)];
  for (const m of report.modes) {
    const wait = (name: string): string => {
      const c = m.clients.find((x) => x.name === name);
      return c === undefined ? 'n/a' : ms(c.repliedMs - c.sentMs);
    };
    const overlap = m.overlapped ? 'overlapped' : 'one after the other';
    lines.push(`${pad(m.mode, 17)}${pad(wait('A'), 16)}${pad(wait('B'), 16)}${pad(overlap, 26)}${ms(m.worstLoopStallMs)}`);
  }
  return lines;
}

/**
 * Runs the demo: creates and calibrates the database, runs each mode, prints timelines and the
 * summary, and cleans up (server, clients, threads, database file).
 *
 * @param options - quick mode, printer, modes.
 * @returns what happened, for tests and for other programs.
 * @example
 * ```ts
 * const report = await runLineServerDemo({ quick: true });
 * console.log(report.modes.map((m) => [m.mode, m.overlapped]));
 * ```
 */
export async function runLineServerDemo(options: LineServerDemoOptions = {}): Promise<LineServerDemoReport> {
  const log = options.log === undefined ? (line: string) => console.log(line) : options.log;
  const targetMs = options.quick === true ? 150 : 1000;
  const db = createLookupDatabase();
  // Two threads so the two clients' lookups can run at the same time.
  const reactor = new Reactor({ policy: { threads: { minThreads: 2, maxThreads: 2 } } });
  try {
    const rows = calibrateLookup(db.file, targetMs);
    // ~8 ms pages: long enough to keep the per-page overhead small, short enough that the hub
    // (and the sockets) get a turn many times per lookup.
    const pageSize = Math.max(1000, Math.round((rows * 8) / targetMs));
    log?.(`Line server demo: each lookup is a better-sqlite3 query tuned to ~${targetMs} ms (${rows.toLocaleString('en-US')} rows scanned).`);
    const handlers: Record<LineServerMode, LookupHandler> = {
      inline: (key) => lookupRange(db.file, key, 0, rows),
      deferToThread: (key) => reactor.deferToThread(lookupTask, db.file, key, 0, rows),
      deferToGreenlet: (key) => reactor.deferToGreenlet(cooperativeLookup, db.file, key, rows, pageSize),
    };
    const modes: ModeReport[] = [];
    for (const mode of options.modes ?? lineServerModes) {
      if (mode === 'deferToThread') {
        // Start both workers and load better-sqlite3 in them before the clients arrive, so the
        // timeline shows the lookups, not thread start-up.
        await Promise.all([0, 1].map(() => reactor.deferToThread(lookupTask, db.file, 'warm', 0, 10)));
      }
      const report = await runMode(mode, handlers[mode]);
      modes.push(report);
      if (log !== null) {
        log('');
        log(`── ${mode} ──`);
        for (const e of report.timeline) log(`${e.atMs.toFixed(1).padStart(9)} ms  ${e.who.padEnd(9)}  ${e.text}`);
      }
    }
    const report: LineServerDemoReport = { targetMs, rows, modes };
    if (log !== null) {
      log('');
      log('Summary (reply = time from sending the request to receiving the answer):');
      for (const line of formatLineServerSummary(report)) log(line);
      log('');
      log('How to read it: inline, the loop is stuck in the query, so B is served only after A and nothing else runs');
      log('meanwhile (see the loop stall). deferToThread runs both queries at once on two worker threads: with two');
      log('idle cores both answers come after about one lookup. deferToGreenlet interleaves pages of both queries on');
      log('the main thread: both answers come together, after about two lookups, and the loop stays responsive.');
      log(`This machine: ${availableParallelism()} CPUs, load average ${loadavg()[0]?.toFixed(1) ?? '?'} (other processes on the cores slow the thread mode down).`);
    }
    return report;
  } finally {
    await reactor.stop();
    db.remove();
  }
}
