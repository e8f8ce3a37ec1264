/**
 * `greenreactor bench [suite...]`: run the benchmark suites.
 *
 * The suites and their runner are built to `dist/bench/` in a repository checkout; the published
 * package ships only `dist/src`, so there the command says how to get them.
 *
 * @module
 */
import { exitCodes, type CliIo } from './cli-io.js';
import { loadOptionalModule } from './load-optional-module.js';

const runnerUrl = new URL('../../bench/run.js', import.meta.url);

/** What the command prints when the runner is not part of this build. */
export const benchUnavailable =
  'greenreactor bench: not available in this build; the benchmark suites ship with the repository (clone it, then `npm run build && npx greenreactor bench`)';

type RunnerModule = { main?: (argv: readonly string[], log: (line: string) => void) => Promise<number>; runnerUsage?: string };

/**
 * Runs `bench`, delegating to the benchmark runner (`bench/run.ts`).
 * @param argv - the arguments after `bench`.
 * @param io - where to write.
 * @returns the runner's exit code; 2 when the runner is not part of this build.
 */
export async function benchCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const runner = (await loadOptionalModule(runnerUrl)) as RunnerModule | undefined;
  if (runner?.main === undefined) {
    io.err(benchUnavailable);
    return exitCodes.usage;
  }
  if (argv.includes('-h') || argv.includes('--help')) {
    io.out(runner.runnerUsage ?? 'usage: greenreactor bench [suite...]');
    return exitCodes.ok;
  }
  return runner.main(argv, (line) => io.out(line));
}
