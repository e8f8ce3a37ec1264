/**
 * Runs the HTTP service demo from the command line:
 * `node dist/examples/http-service/main.js [--quick] [--json]`.
 *
 * @module
 */
import { isMainModule } from '../../bench/lib/is-main-module.js';
import { runHttpServiceDemo } from './http-service-demo.js';

/**
 * @param argv - `--quick`, `--json` (print only the report, as JSON).
 * @returns the exit code.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  const report = await runHttpServiceDemo({ quick: argv.includes('--quick'), ...(json ? { log: null } : {}) });
  if (json) console.log(JSON.stringify(report));
  return 0;
}

if (isMainModule(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
