#!/usr/bin/env node
/**
 * The `greenreactor` command: policy tools, benchmarks and demos.
 *
 * Every command takes `--help`; exit codes are 0 (ok), 1 (a finding: an invalid policy, a failed
 * run; or an error the command did not expect, such as a file it cannot write: one line on stderr, no stack) and 2
 * (bad usage, or a part this build does not contain).
 *
 * @module
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchCommand } from './bench-command.js';
import { exitCodes, guardProcessStreams, processIo, type CliIo } from './cli-io.js';
import { demoCommand } from './demo-command.js';
import { policyCommand } from './policy-command.js';
import { remoteCommand } from './remote-command.js';
import { soakCommand } from './soak-command.js';
import { thrownMessage } from '../task/thrown-message.js';

/** Usage of `greenreactor`. */
export const mainUsage = `usage: greenreactor <command> [options]

commands:
  policy check <file>           validate a policy file
  policy explain <file> <task>  show where a task would run under a policy, and why
  policy schema                 print the policy JSON Schema
  bench [suite...]              run the benchmarks (repository builds)
  demo                          run the demos (repository builds)
  remote worker                 serve remote tasks from a BullMQ queue (needs bullmq, ioredis)
  soak [--calls N]              run the fault soak and check that nothing is lost

Run \`greenreactor <command> --help\` for a command's options.`;

const commands: Record<string, (argv: readonly string[], io: CliIo) => Promise<number>> = {
  policy: policyCommand,
  bench: benchCommand,
  demo: demoCommand,
  remote: remoteCommand,
  soak: soakCommand,
};

/**
 * Runs the command line.
 * @param argv - the arguments after the program name.
 * @param io - where to write. @defaultValue the process's stdout/stderr
 * @returns the exit code.
 * @example
 * ```ts
 * process.exitCode = await main(['policy', 'check', 'policy.json']);
 * ```
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(mainUsage);
    return exitCodes.usage;
  }
  if (name === '-h' || name === '--help' || name === 'help') {
    io.out(mainUsage);
    return exitCodes.ok;
  }
  // Own names only: `greenreactor toString` is an unknown command, not Object.prototype.toString.
  const run = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (run === undefined) {
    io.err(`greenreactor: unknown command \`${name}\``);
    io.err('');
    io.err(mainUsage);
    return exitCodes.usage;
  }
  try {
    return await run(rest, io);
  } catch (error) {
    // What a command did not expect (a file it cannot write, say): one named line, exit 1, never a stack dump.
    io.err(`greenreactor ${name}: ${thrownMessage(error)}`);
    return exitCodes.failed;
  }
}

function isMain(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    // npm installs the bin as a symlink; compare real paths.
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  guardProcessStreams();
  process.exitCode = await main(process.argv.slice(2));
}
