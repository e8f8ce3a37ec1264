/**
 * `greenreactor soak [--calls N]`: run the fault soak and print its checks.
 *
 * It ships with the package (`dist/src/soak/`), so users can soak the library on their own machine. Exit code 0
 * when every check held, 1 with the failing checks named, 2 on bad usage.
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { exitCodes, processIo, usageError, withUsage, type CliIo } from './cli-io.js';
import { thrownMessage } from '../task/thrown-message.js';

/** Usage of `greenreactor soak`. */
export const soakUsage = `usage: greenreactor soak [--calls N] [--seed N] [--json FILE] [--quiet]

Runs the fault soak: N mixed calls (default 100000) through dispatch, deferToThread and deferToGreenlet
(10 % throw, 1 % crash their worker, 5 % cancelled, 2 % time out), then stop(), and checks that every
Deferred fired exactly once, nothing was reported unhandled, no lock or queue item was lost, the pool shrank
back to minThreads, stop() kept its bound, the heap came back and no handle was left open.

options:
  --calls N     calls in the measured round (default 100000)
  --seed N      seed of the plan (default 10); the same seed gives the same counts
  --json FILE   also write the report as JSON to FILE
  --quiet       no progress lines`;

function count(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw usageError(`Expected \`--${name}\` to be a non-negative integer, got \`${text}\``);
  return n;
}

/**
 * Runs `soak`.
 * @param argv - the arguments after `soak`.
 * @param io - where to write: progress and the report on stdout, the failing checks on stderr.
 * @returns 0 when every check held, 1 when one failed, 2 on bad usage.
 */
export async function soakCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return withUsage(io, soakUsage, async () => {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        calls: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.out(soakUsage);
      return exitCodes.ok;
    }
    const { runSoak, defaultSoakOptions } = await import('../soak/run-soak.js');
    const { formatSoakReport } = await import('../soak/soak-report.js');
    const calls = count('calls', values.calls, defaultSoakOptions.calls);
    const seed = count('seed', values.seed, defaultSoakOptions.seed);
    let shown = -1;
    const report = await runSoak({
      calls,
      seed,
      onProgress: values.quiet
        ? undefined
        : (done, total, ms) => {
            const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
            if (tenth === shown) return;
            shown = tenth;
            io.out(`soak: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} calls, ${(ms / 1000).toFixed(1)} s`);
          },
    });
    for (const line of formatSoakReport(report)) io.out(line);
    if (values.json !== undefined) {
      try {
        await mkdir(dirname(values.json), { recursive: true });
        await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
      } catch (error) {
        // main prints it as one line, exit 1: the report was printed above, only its JSON copy is missing.
        throw new Error(`cannot write the report to ${values.json}: ${thrownMessage(error)}`, { cause: error });
      }
      io.out(`soak: report written to ${values.json}`);
    }
    if (report.passed) return exitCodes.ok;
    for (const check of report.checks.filter((c) => !c.passed)) io.err(`greenreactor soak: FAILED ${check.name}: ${check.detail}`);
    // A failed soak may have left work running (that is one of its findings); end the process anyway.
    if (io === processIo) setTimeout(() => process.exit(exitCodes.failed), 2000).unref();
    return exitCodes.failed;
  });
}
