/**
 * The database-backed HTTP service demo: the same service, loaded the same way, with the
 * report run inline and then through `reactor.dispatch` under `examples/policy.json`.
 *
 * The story is geventreactor's: a service built on a synchronous database library, where one
 * slow endpoint makes every endpoint slow. Inline, `/health` waits behind reports; dispatched
 * (the policy sends `salesReport` to a worker thread), `/health` answers in about a millisecond
 * while reports run in parallel on the pool.
 *
 * @module
 */
import { join } from 'node:path';
import { Reactor } from '../../src/index.js'; // in your code: from 'greenreactor'
import { packageRoot } from '../../bench/lib/bench-paths.js';
import { LoopDelayRecorder, type LoopDelaySummary } from '../../bench/lib/loop-delay-recorder.js';
import { startHttpService, type ReportRunner } from './http-service.js';
import { salesReport } from './report-task.js';
import { createSalesDatabase, salesReportQuery } from './sales-database.js';
import { runLoad, type LoadSummary } from './run-load.js';

/** How the service runs the report. */
export type HttpServiceMode = 'inline' | 'dispatch';

/** What one mode measured. */
export interface HttpModeReport {
  /** The mode. */
  readonly mode: HttpServiceMode;
  /** `/health` under load. */
  readonly health: LoadSummary;
  /** `/report` under load. */
  readonly report: LoadSummary;
  /** The server's event-loop delay during the load. */
  readonly loopDelay: LoopDelaySummary;
}

/** The whole demo's outcome. */
export interface HttpServiceDemoReport {
  /** Orders in the generated table. */
  readonly orders: number;
  /** Load duration per mode, seconds. */
  readonly durationSec: number;
  /** One report per mode. */
  readonly modes: readonly HttpModeReport[];
}

/** Options of {@link runHttpServiceDemo}. */
export interface HttpServiceDemoOptions {
  /** Smaller table and a 1 s load (2 s otherwise). @defaultValue false */
  readonly quick?: boolean;
  /** Load duration per mode in seconds (overrides quick/full). */
  readonly durationSec?: number;
  /** Where to print; `null` prints nothing. @defaultValue console.log */
  readonly log?: ((line: string) => void) | null;
  /** The policy file. @defaultValue `<package root>/examples/policy.json` */
  readonly policyFile?: string;
  /** Which modes to run. @defaultValue both */
  readonly modes?: readonly HttpServiceMode[];
}

async function loadMode(mode: HttpServiceMode, runReport: ReportRunner, durationSec: number): Promise<HttpModeReport> {
  const service = await startHttpService(runReport);
  const recorder = new LoopDelayRecorder();
  recorder.start();
  try {
    // Four clients keep /report busy; one polls /health like a load balancer would.
    const [report, health] = await Promise.all([
      runLoad(`${service.url}/report`, { connections: 4, durationSec }),
      runLoad(`${service.url}/health`, { connections: 1, durationSec }),
    ]);
    return { mode, health, report, loopDelay: recorder.stop() };
  } finally {
    recorder.stop();
    await service.close();
  }
}

const num = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
// autocannon reports latency in whole milliseconds: 0 means "under a millisecond".
const latency = (ms: number): string => (ms === 0 ? '<1 ms' : `${num(ms)} ms`);

/**
 * The summary table.
 * @param report - the demo's report.
 * @returns the table's lines.
 */
export function formatHttpServiceSummary(report: HttpServiceDemoReport): string[] {
  const head = ['mode', '/health p50', '/health p99', '/report req/s', '/report p50', 'loop delay p99', 'failed requests'];
  const rows = report.modes.map((m) => [
    m.mode,
    latency(m.health.latencyP50Ms),
    latency(m.health.latencyP99Ms),
    num(m.report.requestsPerSec, 1),
    latency(m.report.latencyP50Ms),
    `${num(m.loopDelay.p99Ms, 1)} ms`,
    String(m.health.failures + m.report.failures),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd((widths[i] ?? 0) + 2)).join('').trimEnd();
  return [line(head), '-'.repeat(widths.reduce((a, b) => a + b + 2, -2)), ...rows.map(line)];
}

/**
 * Runs the demo: builds the database, serves it inline and dispatched under the policy,
 * loads each with autocannon, prints and returns the figures; cleans up everything.
 *
 * @param options - quick mode, duration, printer, policy file, modes.
 * @returns the figures per mode.
 * @example
 * ```ts
 * const { modes } = await runHttpServiceDemo({ quick: true, log: null });
 * ```
 */
export async function runHttpServiceDemo(options: HttpServiceDemoOptions = {}): Promise<HttpServiceDemoReport> {
  const log = options.log === undefined ? (line: string) => console.log(line) : options.log;
  const quick = options.quick === true;
  const orders = quick ? 100_000 : 200_000;
  const durationSec = options.durationSec ?? (quick ? 1 : 2);
  const policyFile = options.policyFile ?? join(packageRoot(), 'examples', 'policy.json');
  const db = createSalesDatabase(orders);
  // The policy decides where each task runs; this one sends `salesReport` to threads by name.
  const reactor = new Reactor({ policy: policyFile });
  try {
    const decision = reactor.explain(salesReport, db.file, 0, 364);
    log?.(`HTTP service demo: /report runs a ~${quick ? 50 : 100} ms better-sqlite3 report over ${num(orders)} orders; ` +
      `autocannon loads /report (4 connections) and /health (1) for ${durationSec} s per mode.`);
    log?.(`Policy ${policyFile}: salesReport → ${decision.route} (${decision.reason})`);
    const runners: Record<HttpServiceMode, ReportRunner> = {
      inline: () => salesReportQuery(db.file, 0, 364),
      dispatch: () => reactor.dispatch(salesReport, db.file, 0, 364),
    };
    const modes: HttpModeReport[] = [];
    for (const mode of options.modes ?? (['inline', 'dispatch'] as const)) {
      // Warm up: open the database (and in dispatch mode start both workers and their
      // connections) before measuring.
      await Promise.all([0, 1, 2, 3].map(() => Promise.resolve(runners[mode]())));
      log?.(`  loading the service (${mode}) …`);
      modes.push(await loadMode(mode, runners[mode], durationSec));
    }
    const report: HttpServiceDemoReport = { orders, durationSec, modes };
    if (log !== null) {
      log('');
      for (const line of formatHttpServiceSummary(report)) log(line);
    }
    return report;
  } finally {
    await reactor.stop();
    db.remove();
  }
}
