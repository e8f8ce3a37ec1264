/**
 * What a fault soak reports: counts, ratios, the figures behind each check, and the checks themselves.
 *
 * Written as JSON by `greenreactor soak --json <file>` (`npm run soak` writes `bench/results/soak.json`) and
 * rendered into docs/benchmarks.md.
 *
 * @module
 */
import type { SoakApi, SoakOutcome, SoakWork } from './soak-plan.js';

/** Version tag of the soak's result format. */
export const soakReportSchema = 'greenreactor-soak/1';

/** One check of the soak: its name, whether it held, and the figures it rests on. */
export interface SoakCheck {
  /** What must hold, e.g. `every Deferred fired exactly once`. */
  readonly name: string;
  /** Whether it held. */
  readonly passed: boolean;
  /** The figures, or what went wrong. */
  readonly detail: string;
}

/** The result of one soak run. */
export interface SoakReport {
  /** Always {@link soakReportSchema}. */
  readonly schema: typeof soakReportSchema;
  /** ISO date of the run. */
  readonly date: string;
  /** Calls made (the warm-up round not included). */
  readonly calls: number;
  /** The PRNG seed of the plan. */
  readonly seed: number;
  /** Wall time of the measured round, from the first call to `stop()` resolved (ms). */
  readonly durationMs: number;
  /** Calls per second over the round. */
  readonly callsPerSec: number;
  /** Where it ran: CPU count, 1-minute load average at start and end, Node version. */
  readonly machine: { readonly cpus: number; readonly loadStart: number; readonly loadEnd: number; readonly node: string };
  /** Planned calls per API, per outcome and per kind of work. */
  readonly planned: {
    readonly byApi: Readonly<Record<SoakApi, number>>;
    readonly byOutcome: Readonly<Record<SoakOutcome, number>>;
    readonly byWork: Readonly<Partial<Record<SoakWork, number>>>;
  };
  /** Planned outcomes as shares of all calls (`throw: 0.1` = 10 %). */
  readonly ratios: Readonly<Record<SoakOutcome, number>>;
  /** How calls ended, by error name (`value` for a result). */
  readonly observed: Readonly<Record<string, number>>;
  /** `stop()`: its grace, the bound it must resolve within, and how long it took (ms; -1 when it never resolved). */
  readonly stop: { readonly graceMs: number; readonly boundMs: number; readonly ms: number };
  /** Heap used after `gc()`, before and after the round (bytes), and after / before. */
  readonly heap: { readonly beforeBytes: number; readonly afterBytes: number; readonly ratio: number };
  /**
   * The thread pool: its `minThreads`, threads before `stop()`, and its counters (`coalesced`: calls that travelled
   * in one of the `batches` of `threads.coalesce`).
   */
  readonly pool: {
    readonly minThreads: number;
    readonly threadsBeforeStop: number;
    readonly crashed: number;
    readonly cancelled: number;
    readonly timedOut: number;
    readonly coalesced: number;
    readonly batches: number;
  };
  /** The hub: greenlets spawned, alive after `stop()`, killed greenlets that escaped their kill. */
  readonly hub: { readonly spawned: number; readonly liveAfterStop: number; readonly escapes: number };
  /** The checks, in order. */
  readonly checks: readonly SoakCheck[];
  /** Whether every check held. */
  readonly passed: boolean;
}

/**
 * The report as lines for a terminal: a summary, then one line per check.
 * @param report - the soak's report.
 * @returns the lines.
 */
export function formatSoakReport(report: SoakReport): string[] {
  const pct = (n: number): string => `${(n * 100).toFixed(1)} %`;
  const lines = [
    `soak: ${report.calls.toLocaleString('en-US')} calls (seed ${report.seed}) in ${(report.durationMs / 1000).toFixed(1)} s, ` +
      `${Math.round(report.callsPerSec).toLocaleString('en-US')} calls/s, load ${report.machine.loadStart.toFixed(1)} → ${report.machine.loadEnd.toFixed(1)} on ${report.machine.cpus} CPUs`,
    `planned: throw ${pct(report.ratios.throw)}, crash ${pct(report.ratios.crash)}, cancel ${pct(report.ratios.cancel)}, ` +
      `timeout ${pct(report.ratios.timeout)}, value ${pct(report.ratios.value)}; ` +
      Object.entries(report.planned.byApi)
        .map(([api, n]) => `${api} ${n}`)
        .join(', '),
    `observed: ${Object.entries(report.observed)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ')}`,
    `threads: ${report.pool.coalesced.toLocaleString('en-US')} calls travelled coalesced, in ${report.pool.batches.toLocaleString('en-US')} batches`,
  ];
  for (const check of report.checks) lines.push(`${check.passed ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`);
  lines.push(report.passed ? 'soak passed' : `soak FAILED: ${report.checks.filter((c) => !c.passed).map((c) => c.name).join('; ')}`);
  return lines;
}
