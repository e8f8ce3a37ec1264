/**
 * Runs autocannon against a local URL in a child process and returns its summary.
 *
 * The load generator runs in its own process so that a server which blocks its event loop
 * cannot also stall the client measuring it (both in one loop would hide the very delay we
 * want to see). Only 127.0.0.1 URLs are accepted: this is a demo, not a load-testing tool.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';

/** What one load run measured. */
export interface LoadSummary {
  /** Requests per second, averaged over the run. */
  readonly requestsPerSec: number;
  /** Completed requests. */
  readonly total: number;
  /** Latency percentiles in ms. */
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  /** Errors, timeouts and non-2xx replies together. */
  readonly failures: number;
}

/** Load parameters. */
export interface LoadOptions {
  /** Concurrent connections. */
  readonly connections: number;
  /** Duration in whole seconds (autocannon counts in 1 s ticks). */
  readonly durationSec: number;
  /** Per-request timeout in seconds. @defaultValue 10 */
  readonly timeoutSec?: number;
}

const autocannonBin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

/**
 * Loads `url` with autocannon for a bounded time.
 * @param url - an `http://127.0.0.1:…` URL.
 * @param options - connections and duration.
 * @returns the summary.
 * @throws TypeError for a URL that is not on 127.0.0.1 (rejects the Promise).
 */
export async function runLoad(url: string, options: LoadOptions): Promise<LoadSummary> {
  if (!url.startsWith('http://127.0.0.1:')) throw new TypeError(`Expected \`url\` on 127.0.0.1, got \`${url}\``);
  const args = [autocannonBin, '--json', '--connections', String(options.connections), '--duration', String(options.durationSec),
    '--timeout', String(options.timeoutSec ?? 10), url];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 16 * 2 ** 20, timeout: (options.durationSec + 30) * 1000 }, (error, out) => {
      if (error !== null) reject(error);
      else resolve(out);
    });
  });
  const r = JSON.parse(stdout) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number; max: number };
    errors: number; timeouts: number; non2xx: number;
  };
  return {
    requestsPerSec: r.requests.average,
    total: r.requests.total,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    latencyMaxMs: r.latency.max,
    failures: r.errors + r.timeouts + r.non2xx,
  };
}
