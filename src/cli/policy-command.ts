/**
 * `greenreactor policy <check|explain|schema>`: the policy tools.
 *
 * @module
 */
import type { CliIo } from './cli-io.js';
import { runSubcommand, type Subcommand } from './run-subcommand.js';
import { policyCheckCommand } from './policy-check-command.js';
import { policyExplainCommand } from './policy-explain-command.js';
import { policySchemaCommand } from './policy-schema-command.js';

/** Usage of `greenreactor policy`. */
export const policyUsage = `usage: greenreactor policy <command> [options]

commands:
  check <file>            validate a policy file (exit 0 with a summary, 1 listing every issue)
  explain <file> <task>   show where a task would run under the policy, and why
  schema                  print the policy JSON Schema

Run \`greenreactor policy <command> --help\` for a command's options.`;

const subcommands: Record<string, Subcommand> = {
  check: policyCheckCommand,
  explain: policyExplainCommand,
  schema: policySchemaCommand,
};

/**
 * Runs `policy <command>`.
 * @param argv - the arguments after `policy`.
 * @param io - where to write.
 * @returns the subcommand's exit code; 2 for a missing or unknown subcommand.
 */
export async function policyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runSubcommand('policy', policyUsage, subcommands, argv, io);
}
