/**
 * Measures event-loop delay while a fixed number of calls stays in flight for a fixed wall-time window: each
 * completion dispatches a replacement until the window closes. Every variant is sampled over the same window, so a
 * variant that finishes calls sooner does not get fewer loop-delay samples (and a p99 nearer its longest stall) than
 * a slower one, as it does when each variant runs the same number of calls to completion.
 *
 * Variants alternate round by round (in reverse order every other round), so a burst of load from another process
 * spoils one round of one variant. The loop-delay timer (2 ms) runs from the first dispatch of a round to the end of
 * its window; the calls still in flight then are awaited outside it. Throughput is the calls completed inside the
 * windows over their total length.
 *
 * @module
 */
import { createHistogram, performance } from 'node:perf_hooks';
import { summariseLoopDelay } from './loop-delay-recorder.js';
import { resultGroup, type MeasuredRow } from './result-group.js';
import type { ResultGroup } from './suite-result.js';

/** One way of running the workload: `start` dispatches one call and calls `done` once it completed. */
export interface SustainedVariant {
  readonly name: string;
  readonly start: (done: () => void) => void;
}

/** The workload: how many calls stay in flight, and the variants compared. */
export interface SustainedWorkload {
  readonly name: string;
  readonly description: string;
  /** Calls kept in flight. */
  readonly inFlight: number;
  /** The variant every ratio is relative to. */
  readonly baseline: string;
  readonly variants: readonly SustainedVariant[];
}

/** How long and how often to measure. */
export interface SustainedBudget {
  /** Rounds; each runs every variant once. */
  readonly rounds: number;
  /** Each variant's window per round (ms). */
  readonly windowMs: number;
}

/** What one variant's rounds add up to, beside its row. */
export interface SustainedExtras {
  /** The longest synchronous dispatch of the first `inFlight` calls in one round (ms). */
  readonly burstMaxMs: number;
  /** Loop-delay samples over all rounds. */
  readonly samples: number;
}

const resolutionMs = 2;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

interface RoundResult {
  readonly completed: number;
  readonly windowMs: number;
  readonly burstMs: number;
}

/** One round of one variant: keeps `n` calls in flight for `windowMs`, recording each tick interval into `record`. */
function runRound(variant: SustainedVariant, n: number, windowMs: number, record: (ns: number) => void): Promise<RoundResult> {
  return new Promise((resolve) => {
    let open = true;
    let outstanding = 0;
    let completed = 0;
    let last = performance.now();
    const ticks = setInterval(() => {
      const now = performance.now();
      record(Math.max(1, Math.round((now - last) * 1e6)));
      last = now;
    }, resolutionMs);
    const began = performance.now();
    let closedAt = began;
    let result: RoundResult | undefined;
    const done = (): void => {
      if (open) {
        completed++;
        variant.start(done);
        return;
      }
      if (--outstanding === 0 && result !== undefined) resolve(result);
    };
    for (let i = 0; i < n; i++) variant.start(done);
    const burstMs = performance.now() - began;
    setTimeout(() => {
      open = false;
      clearInterval(ticks);
      closedAt = performance.now();
      outstanding = n;
      result = { completed, windowMs: closedAt - began, burstMs };
    }, windowMs);
  });
}

/**
 * Runs each variant for `budget.rounds` windows, alternating; one row per variant.
 * @param suite - the suite's name, for the progress lines.
 * @param workload - the workload and its variants.
 * @param budget - rounds and window length.
 * @param log - progress printer.
 * @returns the result group (ratios against the baseline) and each variant's extras by name.
 */
export async function measureSustained(
  suite: string,
  workload: SustainedWorkload,
  budget: SustainedBudget,
  log: (line: string) => void,
): Promise<{ group: ResultGroup; extras: ReadonlyMap<string, SustainedExtras> }> {
  const state = new Map(workload.variants.map((v) => [v.name, { histogram: createHistogram(), completed: 0, windowMs: 0, burstMaxMs: 0, perRound: [] as number[] }]));
  for (let r = 0; r < budget.rounds; r++) {
    const order = r % 2 === 1 ? [...workload.variants].reverse() : workload.variants;
    for (const variant of order) {
      const s = state.get(variant.name)!;
      const result = await runRound(variant, workload.inFlight, budget.windowMs, (ns) => s.histogram.record(ns));
      s.completed += result.completed;
      s.windowMs += result.windowMs;
      s.burstMaxMs = Math.max(s.burstMaxMs, result.burstMs);
      s.perRound.push(result.windowMs / result.completed);
    }
  }
  const extras = new Map<string, SustainedExtras>();
  const rows: MeasuredRow[] = workload.variants.map((variant) => {
    const s = state.get(variant.name)!;
    const h = s.histogram;
    const perCall = [...s.perRound].sort((a, b) => a - b);
    const row: MeasuredRow = {
      name: variant.name,
      opsPerSec: s.windowMs > 0 ? Math.round((s.completed * 1e6) / s.windowMs) / 1000 : 0,
      // Per call (ms): the median and worst round's window over its completed calls.
      medianMs: round3(perCall[Math.floor(perCall.length / 2)] ?? 0),
      p99Ms: round3(perCall[perCall.length - 1] ?? 0),
      batch: workload.inFlight,
      loopDelay: summariseLoopDelay(h, resolutionMs),
      samplesMs: s.perRound.map(round3),
    };
    extras.set(variant.name, { burstMaxMs: round3(s.burstMaxMs), samples: h.count });
    log(
      `  [${suite}] ${workload.name} › ${variant.name}: ${Math.round(row.opsPerSec)} ops/s, loop p99 ${row.loopDelay.p99Ms} ms, ` +
        `max ${row.loopDelay.maxMs} ms (${h.count} samples), dispatch burst ≤ ${round3(s.burstMaxMs)} ms`,
    );
    return row;
  });
  return { group: resultGroup(workload.name, workload.description, workload.baseline, rows), extras };
}
