/**
 * `npm run bench:remote`: the remote suite (`bench/remote.bench.ts`) through the benchmark runner — it writes
 * `bench/results/remote.json` and regenerates `docs/benchmarks.md`. Extra arguments go to the runner
 * (`npm run bench:remote -- --quick`). Needs `redis-server` on the PATH.
 *
 * @module
 */
import { main } from './run.js';

process.exitCode = await main(['remote', ...process.argv.slice(2)]);
