/**
 * `greenreactor policy schema [--output <file>]`: print or write the policy JSON Schema.
 *
 * The build runs it to write `policy.schema.json`, so the shipped file always comes from the zod
 * definition that validates configs.
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Policy } from '../policy/policy.js';
import { exitCodes, usageError, withUsage, type CliIo } from './cli-io.js';
import { thrownMessage } from '../task/thrown-message.js';

/** Usage of `greenreactor policy schema`. */
export const policySchemaUsage = `usage: greenreactor policy schema [--output <file>]

Prints the JSON Schema of policy files (the one shipped as greenreactor/policy.schema.json).

options:
  -o, --output <file>  write it to <file> instead of stdout
  -h, --help           show this help`;

/**
 * Renders the schema exactly as shipped: two-space JSON with a final newline.
 * @returns the file's text.
 */
export function policySchemaText(): string {
  return `${JSON.stringify(Policy.schema, null, 2)}\n`;
}

/**
 * Runs `policy schema`.
 * @param argv - the arguments after `policy schema`.
 * @param io - where to write.
 * @returns 0, or 2 on bad usage.
 */
export function policySchemaCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return withUsage(io, policySchemaUsage, () => {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help === true) {
      io.out(policySchemaUsage);
      return exitCodes.ok;
    }
    if (positionals.length > 0) throw usageError(`unexpected argument \`${positionals[0]}\``);
    const text = policySchemaText();
    if (values.output === undefined) io.out(text.trimEnd());
    else {
      try {
        writeFileSync(values.output, text);
      } catch (error) {
        throw new Error(`cannot write the schema to ${values.output}: ${thrownMessage(error)}`, { cause: error }); // main: one line, exit 1
      }
    }
    return exitCodes.ok;
  });
}
