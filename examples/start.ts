/**
 * `npm start` / `greenreactor demo`: runs the two demos one after the other.
 *
 * 1. The line server (Twisted's deferToThread story): two clients, one slow lookup each, served
 *    inline, on threads and in greenlets — with timelines.
 * 2. The HTTP service (geventreactor's story): a synchronous report endpoint under load, inline
 *    and dispatched by a policy — with `/health` latency and `/report` throughput.
 *
 * Each demo creates its own reactor, database file and ports, and releases them, so the process
 * exits by itself when both are done.
 *
 * @module
 */
import { isMainModule } from '../bench/lib/is-main-module.js';
import { runHttpServiceDemo } from './http-service/http-service-demo.js';
import { runLineServerDemo } from './line-server/line-server-demo.js';

/** The demo command's usage. */
export const usage = `usage: greenreactor demo [--quick] [line-server|http-service]

Runs the line-server demo (inline vs deferToThread vs deferToGreenlet, timelines) and the HTTP
service demo (inline vs reactor.dispatch under examples/policy.json, /health latency under load).
--quick   shorter lookups and load (a few seconds in all)`;

/**
 * Runs the demos.
 * @param argv - `--quick`, and optionally which demo(s) to run.
 * @param log - line printer. @defaultValue console.log
 * @returns the exit code: 0, or 2 for an unknown argument.
 * @example
 * ```ts
 * process.exitCode = await main(['--quick']);
 * ```
 */
export async function main(argv: readonly string[], log: (line: string) => void = (line) => console.log(line)): Promise<number> {
  const quick = argv.includes('--quick');
  const named = argv.filter((a) => a !== '--quick');
  const unknown = named.filter((a) => a !== 'line-server' && a !== 'http-service');
  if (unknown.length > 0) {
    log(`Unknown argument ${unknown.join(' ')}\n${usage}`);
    return 2;
  }
  const wants = (name: string): boolean => named.length === 0 || named.includes(name);
  const t0 = performance.now();
  if (wants('line-server')) {
    log('━━ 1. Line server: a blocking lookup per request, two clients at once ━━');
    await runLineServerDemo({ quick, log });
  }
  if (wants('http-service')) {
    log('');
    log('━━ 2. HTTP service: a synchronous report endpoint under load ━━');
    await runHttpServiceDemo({ quick, log });
  }
  log('');
  log(`Done in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
  return 0;
}

if (isMainModule(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
