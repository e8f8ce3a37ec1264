/**
 * `greenreactor policy check <file>`: validate a policy file and summarise it.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { Policy } from '../policy/policy.js';
import { defaultAdaptiveOptions } from '../policy/adaptive-router.js';
import type { PolicyConfig, PolicyRule } from '../policy/policy-schema.js';
import { exitCodes, usageError, withUsage, type CliIo } from './cli-io.js';
import { boundedLines } from './bounded-lines.js';
import { listedIssues, printConfigError } from './print-config-error.js';

/** Usage of `greenreactor policy check`. */
export const policyCheckUsage = `usage: greenreactor policy check <file> [--json]

Validates a policy file against the schema (SPEC §7).
Exit 0 with a summary when it is valid; exit 1 listing the issues with their JSON Pointer paths
(the first ${listedIssues} and how many more: --json lists every one).

options:
  --json      print the result as JSON ({ valid, issues } or { valid, config })
  -h, --help  show this help`;

/**
 * Runs `policy check`.
 * @param argv - the arguments after `policy check`.
 * @param io - where to write.
 * @returns 0 when valid, 1 when invalid, 2 on bad usage.
 */
export function policyCheckCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return withUsage(io, policyCheckUsage, () => {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help === true) {
      io.out(policyCheckUsage);
      return exitCodes.ok;
    }
    const [file, ...extra] = positionals;
    if (file === undefined) throw usageError('policy check needs a <file>');
    if (extra.length > 0) throw usageError(`unexpected argument \`${extra[0]}\``);
    let policy: Policy;
    try {
      policy = Policy.load(file);
    } catch (error) {
      return printConfigError(error, file, values.json === true, io);
    }
    if (values.json === true) io.out(JSON.stringify({ valid: true, file, config: policy.config }, null, 2));
    else for (const line of summarise(file, policy.config)) io.out(line);
    return exitCodes.ok;
  });
}

/**
 * Describes a valid config in a few lines (its first {@link listedIssues} rules and how many more).
 * @param file - where it came from.
 * @param config - the validated config.
 */
export function summarise(file: string, config: Readonly<PolicyConfig>): string[] {
  const rules = config.rules ?? [];
  const adaptive = { ...defaultAdaptiveOptions, ...config.adaptive };
  const lines = [
    `${file}: valid`,
    `  default route: ${config.default ?? 'auto'}`,
    `  rules: ${rules.length === 0 ? 'none' : rules.length}`,
    ...boundedLines(rules, listedIssues, (rule, i) => `    ${i + 1}. ${describeRule(rule, i)}`, (more) => `    … and ${more} more rules`),
  ];
  if (config.threads !== undefined) lines.push(`  threads: ${describeSection(config.threads)}`);
  for (const [name, pool] of Object.entries(config.pools ?? {})) lines.push(`  pool '${name}': ${describeSection(pool)}`);
  if (config.green !== undefined) lines.push(`  green: ${describeSection(config.green)}`);
  lines.push(
    `  adaptive: sampleSize ${adaptive.sampleSize}, minThreadRunMs ${adaptive.minThreadRunMs}, blockingThresholdMs ${adaptive.blockingThresholdMs}, blockingRunsToPin ${adaptive.blockingRunsToPin}`,
  );
  return lines;
}

function describeRule(rule: Readonly<PolicyRule>, index: number): string {
  const { match } = rule;
  const conditions: string[] = [];
  if (match.task !== undefined) conditions.push(`task '${match.task}'`);
  if (match.kind !== undefined) conditions.push(`kind ${[match.kind].flat().join('|')}`);
  for (const key of ['argBytes', 'threadQueue', 'loopDelayMs'] as const) {
    const range = match[key];
    if (range !== undefined) conditions.push(`${key} ${describeSection(range, ' ')}`);
  }
  const extras = [
    rule.pool === undefined ? undefined : `pool '${rule.pool}'`,
    rule.maxConcurrent === undefined ? undefined : `maxConcurrent ${rule.maxConcurrent}`,
    rule.timeoutMs === undefined ? undefined : `timeout ${rule.timeoutMs} ms`,
  ].filter((e) => e !== undefined);
  const suffix = extras.length === 0 ? '' : ` (${extras.join(', ')})`;
  return `${rule.name ?? `rules[${index}]`}: ${conditions.length === 0 ? 'every task' : conditions.join(', ')} -> ${rule.route}${suffix}`;
}

function describeSection(section: object, separator = ', '): string {
  return Object.entries(section)
    .map(([key, value]) => `${key} ${typeof value === 'object' && value !== null ? `{ ${describeSection(value as object)} }` : String(value)}`)
    .join(separator);
}
