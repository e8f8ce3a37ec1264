/**
 * `greenreactor bench [suite...]`: run the benchmark suites.
 *
 * The suites and their runner are built to `dist/bench/` in a repository checkout; the published
 * package ships only `dist/src`, so there the command says how to get them.
 *
 * @module
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitCodes, type CliIo } from './cli-io.js';
import { loadOptionalModule } from './load-optional-module.js';

const runnerUrl = new URL('../../bench/run.js', import.meta.url);

/** What the command prints when the runner is not part of this build. */
export const benchUnavailable =
  'greenreactor bench: not available in this build; the benchmark suites ship with the repository (clone it, then `npm run build && npx greenreactor bench`)';

type RunnerModule = {
  main?: (argv: readonly string[], log: (line: string) => void) => Promise<number>;
  runnerUsage?: string;
  parseRunnerArgs?: (argv: readonly string[]) => { readonly suites: readonly string[] };
  findSuites?: (dir: string) => Promise<string[]>;
};

/**
 * What is wrong with the arguments, by the runner's own parser and list of suites, or undefined. The runner prints
 * its usage errors with its one `log`, which is stdout; checked here first, they go to stderr as every command's do.
 */
async function usageProblem(runner: RunnerModule, argv: readonly string[]): Promise<string | undefined> {
  if (runner.parseRunnerArgs === undefined) return undefined;
  let suites: readonly string[];
  try {
    suites = runner.parseRunnerArgs(argv).suites;
  } catch (error) {
    const message = (error as Error).message;
    return message.includes('usage:') ? message : `${message}\n${runner.runnerUsage ?? ''}`;
  }
  if (suites.length === 0 || runner.findSuites === undefined) return undefined;
  const found = await runner.findSuites(dirname(fileURLToPath(runnerUrl)));
  const unknown = suites.filter((suite) => !found.includes(suite));
  if (unknown.length === 0) return undefined;
  return `Unknown suite ${unknown.map((suite) => `\`${suite}\``).join(', ')}; found: ${found.join(', ')}\n${runner.runnerUsage ?? ''}`;
}

/**
 * Runs `bench`, delegating to the benchmark runner (`bench/run.ts`).
 * @param argv - the arguments after `bench`.
 * @param io - where to write.
 * @returns the runner's exit code; 2 when the runner is not part of this build, or on bad usage (said on stderr).
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
  const problem = await usageProblem(runner, argv);
  if (problem !== undefined) {
    io.err(problem);
    return exitCodes.usage;
  }
  return runner.main(argv, (line) => io.out(line));
}
