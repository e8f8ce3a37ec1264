/**
 * `greenreactor remote <worker>`: the remote route's tools (SPEC §11, §12).
 *
 * @module
 */
import type { CliIo } from './cli-io.js';
import { runSubcommand, type Subcommand } from './run-subcommand.js';
import { remoteWorkerCommand } from './remote-worker-command.js';

/** Usage of `greenreactor remote`. */
export const remoteUsage = `usage: greenreactor remote <command> [options]

commands:
  worker --queue <name> --redis <url> --import <task module>...   serve a queue's remote tasks on this machine

Run \`greenreactor remote <command> --help\` for a command's options.`;

const subcommands: Record<string, Subcommand> = {
  worker: remoteWorkerCommand,
};

/**
 * Runs `remote <command>`.
 * @param argv - the arguments after `remote`.
 * @param io - where to write.
 * @returns the subcommand's exit code; 2 for a missing or unknown subcommand.
 */
export async function remoteCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runSubcommand('remote', remoteUsage, subcommands, argv, io);
}
