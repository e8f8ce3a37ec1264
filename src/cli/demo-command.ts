/**
 * `greenreactor demo`: run the demos.
 *
 * The demos are built to `dist/examples/` in a repository checkout; the entry point is
 * `examples/start.ts`, which exports `main(argv, log): Promise<number>`.
 *
 * @module
 */
import { exitCodes, type CliIo } from './cli-io.js';
import { loadOptionalModule } from './load-optional-module.js';

const demoUrl = new URL('../../examples/start.js', import.meta.url);

/** What the command prints when the demos are not part of this build. */
export const demoUnavailable =
  'greenreactor demo: not available in this build; the demos ship with the repository (clone it, then `npm start`)';

type DemoModule = { main?: (argv: readonly string[], log: (line: string) => void) => Promise<number>; usage?: string };

/**
 * Runs `demo`, delegating to `examples/start`.
 * @param argv - the arguments after `demo`.
 * @param io - where to write.
 * @returns the demo's exit code; 2 when the demos are not part of this build.
 */
export async function demoCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const demo = (await loadOptionalModule(demoUrl)) as DemoModule | undefined;
  if (typeof demo?.main !== 'function') {
    io.err(demoUnavailable);
    return exitCodes.usage;
  }
  if (argv.includes('-h') || argv.includes('--help')) {
    io.out(demo.usage ?? 'usage: greenreactor demo\n\nRuns the line-server and HTTP demos and prints their timelines.');
    return exitCodes.ok;
  }
  return usageErrorsToStderr(io, (log) => (demo.main as NonNullable<DemoModule['main']>)(argv, log));
}

/**
 * Runs `main` (the demos' entry, which prints an unknown argument with its one `log` and returns 2 before it does
 * anything else), sending what it logs at once to stdout, except what it logged before returning 2 without waiting
 * on anything: a usage error, a diagnostic, which goes to stderr as every command's does.
 *
 * How: lines logged during `main`'s synchronous start are held; its result, when it settled at once, is seen by a
 * reaction queued before the release of the held lines (one microtask later), so a usage error never reaches stdout
 * and a demo's first lines wait one microtask.
 */
async function usageErrorsToStderr(io: CliIo, main: (log: (line: string) => void) => Promise<number>): Promise<number> {
  let held: string[] | undefined = [];
  const log = (line: string): void => {
    if (held === undefined) io.out(line);
    else held.push(line);
  };
  const running = main(log);
  let usage = false;
  void running.then(
    (code) => {
      usage = code === exitCodes.usage;
    },
    () => undefined, // awaited below
  );
  queueMicrotask(() => {
    const lines = held ?? [];
    held = undefined;
    for (const line of lines) {
      if (usage) io.err(line);
      else io.out(line);
    }
  });
  return running;
}
