/**
 * `npm run soak [-- --calls N --seed N]`: the fault soak, writing `bench/results/soak.json` and its section of
 * docs/benchmarks.md.
 *
 * The soak itself ships with the package (`greenreactor soak`, src/soak/); this script adds what belongs to the
 * repository: the result file and the regenerated docs (written whether or not every check held, so a failure is
 * on record too).
 *
 * @module
 */
import { join } from 'node:path';
import { processIo } from '../src/cli/cli-io.js';
import { soakCommand } from '../src/cli/soak-command.js';
import { defaultResultsDir } from './lib/bench-paths.js';
import { isMainModule } from './lib/is-main-module.js';
import { regenerateBenchmarkDocs } from './lib/regenerate-benchmark-docs.js';
import { soakResultFile } from './soak-markdown.js';

/**
 * Runs the soak and regenerates the docs.
 * @param argv - options of `greenreactor soak` (`--json` is set here unless given).
 * @returns the soak's exit code.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const args = argv.includes('--json') ? [...argv] : [...argv, '--json', join(defaultResultsDir(), soakResultFile)];
  const code = await soakCommand(args, processIo);
  if (code !== 2 && !argv.includes('--help') && !argv.includes('-h')) {
    const { markdown } = await regenerateBenchmarkDocs();
    processIo.out(`soak: ${markdown} regenerated`);
  }
  return code;
}

if (isMainModule(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
