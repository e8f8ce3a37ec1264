/**
 * `greenreactor policy explain <file> <task>`: where a task would run under a policy, and why.
 *
 * Runs nothing: it asks the policy as `reactor.explain` would, for a task described on the command
 * line (its name, kind and route, the arguments' size, and the load to assume). What `auto` learns
 * at run time is not known here, so a task without a kind shows its starting route (threads).
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { Policy } from '../policy/policy.js';
import { routes, taskKinds, type Kind, type Route } from '../task/task.js';
import { exitCodes, usageError, withUsage, type CliIo } from './cli-io.js';
import { printConfigError } from './print-config-error.js';

/** Usage of `greenreactor policy explain`. */
export const policyExplainUsage = `usage: greenreactor policy explain <file> <task> [options]

Prints where <task> would run under the policy in <file> (route, rule, reason). Runs nothing.

options:
  --kind <kind>          the task's declared kind: ${taskKinds.join(', ')}
  --route <route>        the task's own route: ${routes.join(', ')}
  --arg-bytes <n>        the arguments' estimated size in bytes (default 0)
  --thread-queue <n>     tasks waiting for a worker (default 0)
  --loop-delay-ms <ms>   event-loop delay p99 (default 0)
  --plain                the task is a plain function, not a Task (never runs on a thread)
  --json                 print the decision as JSON
  -h, --help             show this help`;

/**
 * Runs `policy explain`.
 * @param argv - the arguments after `policy explain`.
 * @param io - where to write.
 * @returns 0 with the decision, 1 when the policy is invalid, 2 on bad usage.
 */
export function policyExplainCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return withUsage(io, policyExplainUsage, () => {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        kind: { type: 'string' },
        route: { type: 'string' },
        'arg-bytes': { type: 'string' },
        'thread-queue': { type: 'string' },
        'loop-delay-ms': { type: 'string' },
        plain: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) {
      io.out(policyExplainUsage);
      return exitCodes.ok;
    }
    const [file, name, ...extra] = positionals;
    if (file === undefined || name === undefined) throw usageError('policy explain needs a <file> and a <task>');
    if (extra.length > 0) throw usageError(`unexpected argument \`${extra[0]}\``);
    const kind = oneOf<Kind>('--kind', values.kind, taskKinds);
    const route = oneOf<Route>('--route', values.route, routes);
    const argBytes = count('--arg-bytes', values['arg-bytes']);
    const threadQueue = count('--thread-queue', values['thread-queue']);
    const loopDelayMs = count('--loop-delay-ms', values['loop-delay-ms']);
    let policy: Policy;
    try {
      policy = Policy.load(file);
    } catch (error) {
      return printConfigError(error, file, values.json === true, io);
    }
    const decision = policy.decideFor({ name, kind, route, plain: values.plain === true }, { argBytes, threadQueue, loopDelayMs });
    if (values.json === true) {
      io.out(JSON.stringify({ task: name, ...decision }, null, 2));
    } else {
      io.out(`task:   ${name}`);
      io.out(`route:  ${decision.route}`);
      io.out(`rule:   ${decision.rule ?? '(none)'}`);
      if (decision.timeoutMs !== undefined) io.out(`timeout: ${decision.timeoutMs} ms`);
      if (decision.pool !== undefined) io.out(`pool:   ${decision.pool}`);
      if (decision.maxConcurrent !== undefined) io.out(`bulkhead: at most ${decision.maxConcurrent} in flight (maxConcurrent)`);
      io.out(`reason: ${decision.reason}`);
    }
    return exitCodes.ok;
  });
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw usageError(`Expected \`${flag}\` to be one of ${allowed.join(', ')}, got \`${value}\``);
  }
  return value as T;
}

function count(flag: string, value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw usageError(`Expected \`${flag}\` to be a non-negative number, got \`${value}\``);
  return n;
}
