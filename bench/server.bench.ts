/**
 * `server` suite: the HTTP service demo as a benchmark — `/report` throughput and `/health`
 * latency under autocannon load, inline vs `reactor.dispatch` under `examples/policy.json`.
 *
 * Where the other suites measure a path in isolation, this one measures what a user of a
 * synchronous database library sees in production: the slow endpoint's throughput, and how long
 * the cheap endpoint waits behind it. Ratios are against inline. Latencies come from autocannon
 * (its percentiles; it keeps no raw samples), loop delay from the server's process.
 *
 * @module
 */
import { runHttpServiceDemo, type HttpModeReport } from '../examples/http-service/http-service-demo.js';
import { isMainModule } from './lib/is-main-module.js';
import { resultGroup, type MeasuredRow } from './lib/result-group.js';
import { suiteResult, type SuiteResult } from './lib/suite-result.js';
import { writeSuiteResult } from './lib/write-suite-result.js';

/** Options of the suite (the runner passes these). */
export interface ServerOptions {
  /** Smaller table, 2 s of load per mode. */
  quick?: boolean;
  /** Load duration per mode in ms (rounded up to whole seconds, autocannon's unit). */
  timeMs?: number;
  /** Where to write `server.json`. */
  resultsDir?: string;
}

function row(m: HttpModeReport, endpoint: 'report' | 'health'): MeasuredRow {
  const load = m[endpoint];
  return {
    name: m.mode === 'dispatch' ? 'dispatch (policy)' : m.mode,
    opsPerSec: load.requestsPerSec,
    medianMs: load.latencyP50Ms,
    p99Ms: load.latencyP99Ms,
    batch: 1,
    loopDelay: m.loopDelay,
    samplesMs: [],
    ...(load.failures > 0 ? { error: `${load.failures} failed requests` } : {}),
  };
}

/**
 * Runs the suite, prints its tables and writes `bench/results/server.json`.
 * @param options - quick mode, load duration, results directory.
 * @returns the result.
 */
export async function run(options: ServerOptions = {}): Promise<SuiteResult> {
  const quick = options.quick ?? false;
  const started = performance.now();
  const durationSec = options.timeMs !== undefined ? Math.max(1, Math.ceil(options.timeMs / 1000)) : quick ? 2 : 5;
  console.log(`  [server] loading inline, then dispatch, ${durationSec} s each …`);
  const demo = await runHttpServiceDemo({ quick, durationSec, log: null });
  const inline = demo.modes.map((m) => row(m, 'report'));
  const health = demo.modes.map((m) => row(m, 'health'));
  const result = suiteResult({
    suite: 'server',
    title: 'HTTP service under load: inline vs dispatch',
    description: 'A /report endpoint running a synchronous better-sqlite3 report and a /health endpoint, loaded by autocannon; inline vs reactor.dispatch under examples/policy.json.',
    quick,
    groups: [
      resultGroup('/report throughput', `The report over ${demo.orders.toLocaleString('en-US')} orders, 4 connections for ${durationSec} s; ops/s = requests/s, median = latency p50.`, 'inline', inline),
      resultGroup('/health under load', `1 connection polling /health while /report is loaded; median = latency p50 (autocannon rounds to whole ms).`, 'inline', health),
    ],
    notes: [
      'The load generator runs in child processes (autocannon), so a blocked server loop cannot stall the client measuring it.',
      'On 2 cores, the server, its 2 worker threads and 2 autocannon processes share the CPUs: dispatch shows the freed loop more than a throughput gain.',
    ],
  }, started);
  await writeSuiteResult(result, options.resultsDir !== undefined ? { resultsDir: options.resultsDir } : {});
  return result;
}

if (isMainModule(import.meta.url)) {
  await run({ quick: process.argv.includes('--quick') });
}
