/**
 * Runs the line-server demo from the command line:
 * `node dist/examples/line-server/main.js [--quick] [--json]`.
 *
 * `--json` prints only the report as JSON (used by the tests).
 *
 * @module
 */
import { isMainModule } from '../../bench/lib/is-main-module.js';
import { runLineServerDemo } from './line-server-demo.js';

/**
 * @param argv - `--quick`, `--json`.
 * @returns the exit code.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  const report = await runLineServerDemo({ quick: argv.includes('--quick'), ...(json ? { log: null } : {}) });
  if (json) console.log(JSON.stringify(report));
  return 0;
}

if (isMainModule(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
