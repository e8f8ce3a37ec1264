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
  return demo.main(argv, (line) => io.out(line));
}
