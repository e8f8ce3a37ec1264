/**
 * `greenreactor policy <check|explain|schema>`: the policy tools.
 *
 * @module
 */
import { exitCodes, type CliIo } from './cli-io.js';
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

const subcommands: Record<string, (argv: readonly string[], io: CliIo) => Promise<number>> = {
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
  const [name, ...rest] = argv;
  if (name === '-h' || name === '--help') {
    io.out(policyUsage);
    return exitCodes.ok;
  }
  const run = name === undefined ? undefined : subcommands[name];
  if (run === undefined) {
    io.err(name === undefined ? 'greenreactor policy: missing command' : `greenreactor policy: unknown command \`${name}\``);
    io.err('');
    io.err(policyUsage);
    return exitCodes.usage;
  }
  return run(rest, io);
}
