/**
 * A policy rule compiled for fast matching.
 *
 * A rule's conditions split in two: static ones (task-name glob, kind) depend only on the task, so the
 * policy evaluates them once per task and caches the survivors; dynamic ones (`argBytes`,
 * `threadQueue`, `loopDelayMs`) are read per dispatch, and only when a surviving rule asks for them.
 *
 * @module
 */
import type { Kind, Route } from '../task/task.js';
import type { PolicyRange, PolicyRule } from './policy-schema.js';
import { compileTaskGlob, type TaskGlobMatcher } from './task-glob.js';

/** The per-dispatch values dynamic conditions read; each is computed only when a rule needs it. */
export interface MatchInputs {
  /** Estimated argument size in bytes. */
  argBytes(): number;
  /** Tasks waiting for a worker now. */
  threadQueue(): number;
  /** Event-loop delay p99 (ms) over the rolling window. */
  loopDelayMs(): number;
}

type DynamicKey = keyof MatchInputs;
const dynamicKeys: readonly DynamicKey[] = ['argBytes', 'threadQueue', 'loopDelayMs'];

/**
 * A rule's label, as decisions, `stats()` and bulkheads name it: its `name`, or `rules[i]`.
 * @param rule - the rule.
 * @param index - its position in `rules`.
 * @returns the label.
 */
export function ruleLabel(rule: Readonly<Pick<PolicyRule, 'name'>>, index: number): string {
  return rule.name ?? `rules[${index}]`;
}

/** One rule of a policy, ready to match. */
export class CompiledRule {
  /** Position in `rules`. */
  readonly index: number;
  /** The rule's `name`, or `rules[i]`. */
  readonly label: string;
  /** The route it sends matching tasks to. */
  readonly route: Route;
  /** The time limit it sets, if any. */
  readonly timeoutMs: number | undefined;
  /** Its bulkhead: most calls of its tasks in flight at once, if set. */
  readonly maxConcurrent: number | undefined;
  /** The named thread pool its thread calls run in, if set. */
  readonly pool: string | undefined;
  /** `false` when its thread calls must never be coalesced. */
  readonly coalesce: false | undefined;
  /** The stream window it sets for `reactor.stream`, if any. */
  readonly streamWindow: number | undefined;
  /** True when it has conditions read per dispatch. */
  readonly dynamic: boolean;
  readonly #glob: TaskGlobMatcher | undefined;
  readonly #kinds: readonly Kind[] | undefined;
  readonly #ranges: ReadonlyArray<readonly [DynamicKey, PolicyRange]>;

  /**
   * @param rule - a validated rule.
   * @param index - its position in `rules`.
   */
  constructor(rule: Readonly<PolicyRule>, index: number) {
    this.index = index;
    this.label = ruleLabel(rule, index);
    this.route = rule.route;
    this.timeoutMs = rule.timeoutMs;
    this.maxConcurrent = rule.maxConcurrent;
    this.pool = rule.pool;
    this.coalesce = rule.coalesce;
    this.streamWindow = rule.streamWindow;
    const { match } = rule;
    this.#glob = match.task === undefined ? undefined : globMatcher(match.task);
    this.#kinds = match.kind === undefined ? undefined : typeof match.kind === 'string' ? [match.kind] : match.kind;
    this.#ranges = dynamicKeys.flatMap((key) => {
      const range = match[key];
      return range === undefined ? [] : [[key, range] as const];
    });
    this.dynamic = this.#ranges.length > 0;
  }

  /**
   * Checks the conditions that depend only on the task.
   * @param name - the task's name.
   * @param kind - the task's declared kind, if any.
   */
  matchesTask(name: string, kind: Kind | undefined): boolean {
    if (this.#glob !== undefined && !this.#glob(name)) return false;
    if (this.#kinds !== undefined && (kind === undefined || !this.#kinds.includes(kind))) return false;
    return true;
  }

  /**
   * Checks the conditions read per dispatch (true when there are none).
   * @param inputs - lazy per-dispatch values.
   */
  matchesLoad(inputs: MatchInputs): boolean {
    for (const [key, range] of this.#ranges) if (!inRange(inputs[key](), range)) return false;
    return true;
  }

  /**
   * Says, for a person, why this rule matched.
   * @param name - the task's name.
   * @param inputs - the values the dynamic conditions read.
   */
  explain(name: string, inputs: MatchInputs): string {
    const base = `rule '${this.label}' matched task '${name}'`;
    if (!this.dynamic) return base;
    const facts = this.#ranges.map(([key, range]) => `${key} ${round(inputs[key]())} ${describeRange(range)}`);
    return `${base} (${facts.join(', ')})`;
  }
}

/** The matcher of a validated glob (`Policy.load` refused every glob this could throw for). */
function globMatcher(glob: string): TaskGlobMatcher {
  const compiled = compileTaskGlob(glob);
  if ('problem' in compiled) throw new TypeError(`Expected a validated task glob, got \`${glob}\`: ${compiled.problem}`);
  return compiled.match;
}

/**
 * Tells whether `value` satisfies every bound of `range`.
 * @param value - the measured value.
 * @param range - the bounds.
 */
export function inRange(value: number, range: PolicyRange): boolean {
  return (
    (range.gt === undefined || value > range.gt) &&
    (range.gte === undefined || value >= range.gte) &&
    (range.lt === undefined || value < range.lt) &&
    (range.lte === undefined || value <= range.lte)
  );
}

function describeRange(range: PolicyRange): string {
  const parts: string[] = [];
  if (range.gt !== undefined) parts.push(`> ${range.gt}`);
  if (range.gte !== undefined) parts.push(`>= ${range.gte}`);
  if (range.lt !== undefined) parts.push(`< ${range.lt}`);
  if (range.lte !== undefined) parts.push(`<= ${range.lte}`);
  return parts.length === 0 ? 'any' : parts.join(' and ');
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
