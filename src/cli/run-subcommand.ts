/**
 * `runSubcommand`: the dispatch of a command group (`greenreactor policy <command>`, `greenreactor remote
 * <command>`): help, a missing or unknown command, then the command itself — written once for every group.
 *
 * @module
 */
import { exitCodes, type CliIo } from './cli-io.js';

/** One command of a group: runs with the arguments after its name, returns the exit code. */
export type Subcommand = (argv: readonly string[], io: CliIo) => Promise<number>;

/**
 * Runs `<group> <command> ...`.
 *
 * Why one function: every group answers `-h`/`--help`, a missing and an unknown command the same way (the usage on
 * stderr, exit 2), and looks commands up by own name only (`greenreactor remote constructor` is unknown, not
 * `Object`).
 *
 * @param group - the group's name, for messages (`'policy'`).
 * @param usage - the group's usage text.
 * @param commands - the group's commands by name.
 * @param argv - the arguments after the group's name.
 * @param io - where to write.
 * @returns the command's exit code; 0 for help; 2 for a missing or unknown command.
 */
export async function runSubcommand(
  group: string,
  usage: string,
  commands: Readonly<Record<string, Subcommand>>,
  argv: readonly string[],
  io: CliIo,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '-h' || name === '--help') {
    io.out(usage);
    return exitCodes.ok;
  }
  const run = name !== undefined && Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (run === undefined) {
    io.err(name === undefined ? `greenreactor ${group}: missing command` : `greenreactor ${group}: unknown command \`${name}\``);
    io.err('');
    io.err(usage);
    return exitCodes.usage;
  }
  return run(rest, io);
}
