/**
 * The policy config schema (SPEC §7), defined once with zod.
 *
 * Everything about the config's shape lives here: validation (`Policy.load`), the TypeScript types
 * (`PolicyConfig` …) and the JSON Schema shipped as `greenreactor/policy.schema.json`
 * (`policyJsonSchema()`, written at build time by `greenreactor policy schema --output`). Objects
 * are strict, so a misspelt key is an error at its own path rather than silently ignored.
 *
 * @module
 */
import { z } from 'zod';
import {
  argBytesRange,
  crashCountRange,
  durationMsRange,
  heapMbRange,
  heldCountRange,
  lifetimeTaskCountRange,
  maxQueueRange,
  sampleCountRange,
  stackMbRange,
  threadCountRange,
  type OptionRange,
} from '../option-ranges.js';
import { defaultAdaptiveOptions } from './adaptive-router.js';
import { compileTaskGlob } from './task-glob.js';

/**
 * Tells why `glob` is not a usable task-name pattern, or returns `undefined` when it is.
 * @param glob - a task-name glob (the syntax: task-glob.ts).
 * @returns the problem, in words, or `undefined`.
 */
export function globProblem(glob: string): string | undefined {
  const compiled = compileTaskGlob(glob);
  return 'problem' in compiled ? `Expected \`task\` to be a valid glob, got \`${glob}\`: ${compiled.problem}` : undefined;
}

const nonNegative = (what: string): z.ZodNumber => z.number().min(0).describe(what);
/** A number in `range` (its one definition: option-ranges.ts, which `defineTask` reads too). */
const inRange = (range: OptionRange, what: string): z.ZodNumber => (range.integer ? z.int() : z.number()).min(range.min).max(range.max).describe(what);
const durationMs = (what: string): z.ZodNumber => inRange(durationMsRange, what);

const kindSchema = z.enum(['cpu', 'blocking', 'io', 'cooperative']).describe('What kind of work a task does.');
const routeSchema = z
  .enum(['thread', 'green', 'inline', 'remote', 'auto'])
  .describe(
    'Where work runs: a worker thread, a greenlet, synchronously inline, a remote host (needs a reactor with a remote backend), or decided by `auto`.',
  );

/** A numeric interval; every bound is optional and a value must satisfy all that are given. */
const rangeSchema = (what: string) =>
  z
    .strictObject({
      gt: nonNegative('Greater than.').optional(),
      gte: nonNegative('Greater than or equal to.').optional(),
      lt: nonNegative('Less than.').optional(),
      lte: nonNegative('Less than or equal to.').optional(),
    })
    .refine(rangeCanMatch, { message: 'Expected a range that some value can satisfy, got bounds that exclude every value' })
    .describe(what);

function rangeCanMatch(r: PolicyRange): boolean {
  const low = tighter(r.gt, r.gte, (a, b) => a > b);
  const high = tighter(r.lt, r.lte, (a, b) => a < b);
  if (low === undefined || high === undefined) return true;
  return low.value < high.value || (low.value === high.value && !low.strict && !high.strict);
}

/** The tighter of a strict and a non-strict bound (equal values: the strict one). */
function tighter(
  strict: number | undefined,
  loose: number | undefined,
  isTighter: (a: number, b: number) => boolean,
): { value: number; strict: boolean } | undefined {
  if (strict === undefined) return loose === undefined ? undefined : { value: loose, strict: false };
  if (loose === undefined || !isTighter(loose, strict)) return { value: strict, strict: true };
  return { value: loose, strict: false };
}

const matchSchema = z
  .strictObject({
    task: z
      .string()
      .superRefine((glob, ctx) => {
        const problem = globProblem(glob);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe(
        'A glob over the task name (its export name): `*`, `?`, `**`, `[a-z]`, `[^a-z]`, `{a,b}`, a leading `!` and `\\` escapes, e.g. `resize*` or `{resize,crop}`.',
      )
      .optional(),
    kind: z
      .union([kindSchema, z.array(kindSchema).min(1)])
      .describe('The task declares this kind (or one of these kinds).')
      .optional(),
    argBytes: rangeSchema(
      'Estimated size of the arguments in bytes: buffers and typed arrays count their byteLength, strings their length (shallow).',
    ).optional(),
    threadQueue: rangeSchema('Tasks waiting for a worker in the thread pool right now.').optional(),
    loopDelayMs: rangeSchema('Event-loop delay p99 (ms) over the last rolling window.').optional(),
  })
  .describe('Conditions that must all hold; an empty match matches every task.');

const ruleSchema = z
  .strictObject({
    name: z.string().min(1).describe('Shown in decisions; defaults to `rules[i]`.').optional(),
    match: matchSchema,
    route: routeSchema,
    timeoutMs: durationMs('Time limit (ms) for tasks this rule routes, counted from dispatch.').optional(),
    maxConcurrent: inRange(
      heldCountRange,
      "A bulkhead: most calls of this rule's tasks in flight at once on the route it chose; the excess waits in order (on threads it counts toward the pool's `maxQueue` and errbacks `QueueFullError` past it).",
    ).optional(),
    streamWindow: inRange(
      heldCountRange,
      "For `reactor.stream`: items a task of this rule may emit and the consumer not have read yet (in transit included) before its `emit` blocks; over the task's own `streamWindow`.",
    ).optional(),
    pool: z
      .string()
      .min(1)
      .describe("A bulkhead on threads: the name of a pool under `pools` that this rule's thread calls run in, so one kind of work cannot starve another (only with route `thread` or `auto`).")
      .optional(),
    coalesce: z
      .literal(false)
      .describe("On threads: this rule's calls travel one per message, never coalesced with other calls waiting for a worker (`threads.coalesce`).")
      .optional(),
  })
  .describe('A routing rule; the first rule whose `match` holds decides.');

const resourceLimitsSchema = z
  .strictObject({
    maxOldGenerationSizeMb: inRange(heapMbRange, 'Main heap size limit (MB).').optional(),
    maxYoungGenerationSizeMb: inRange(heapMbRange, 'Young generation size limit (MB).').optional(),
    codeRangeSizeMb: inRange(heapMbRange, 'Code range size (MB).').optional(),
    stackSizeMb: inRange(stackMbRange, 'Thread stack size (MB).').optional(),
  })
  .describe('Worker resource limits (node:worker_threads).');

const threadsSchema = z
  .strictObject({
    minThreads: inRange(threadCountRange, 'Workers kept alive when idle.').optional(),
    maxThreads: inRange(threadCountRange, 'Most workers at once.').optional(),
    idleTimeoutMs: durationMs('How long an idle worker above minThreads lives (ms).').optional(),
    maxQueue: inRange(maxQueueRange, 'Most tasks waiting for a worker; unbounded by default.').optional(),
    concurrentTasksPerWorker: inRange(threadCountRange, 'Tasks one worker runs at once (default 1).').optional(),
    resourceLimits: resourceLimitsSchema.optional(),
    cancelGraceMs: durationMs('How long a cancelled running task may go on before its worker is terminated (default 1000).').optional(),
    coalesce: z
      .union([
        z.literal(false),
        z.strictObject({
          maxBatch: inRange(heldCountRange, 'Most calls in one message (default 64).').optional(),
          maxArgBytes: inRange(argBytesRange, 'Calls whose arguments are larger than this (bytes) travel alone (default 4096).').optional(),
          flushMs: durationMs('A worker returns finished results at least this often (ms, default 2).').optional(),
          keepFinished: z
            .boolean()
            .describe('Results a worker holds for the next flush survive its death (terminated, out of memory): each is posted as it finishes, at a main-thread cost per call (default false).')
            .optional(),
        }),
      ])
      .describe('Calls waiting for a worker travel to it together, each with its own Deferred, cancellation, timeout and error; `false` turns it off (default on).')
      .optional(),
    recycle: z
      .strictObject({
        maxTasks: inRange(lifetimeTaskCountRange, 'Tasks a worker starts in its life; later ones go to other workers.').optional(),
        maxHeapMb: z.number().gt(0).max(heapMbRange.max).describe('Heap in use (MiB) past which a worker, after its current task, starts nothing more.').optional(),
        maxAgeMs: z.number().gt(0).max(durationMsRange.max).describe("How long (ms) a worker serves from when it came up (on the reactor's clock).").optional(),
      })
      .describe('Replace a worker past any limit: it finishes its current tasks while its replacement starts; no task fails, no crash is counted (default none).')
      .optional(),
  })
  .refine((t) => t.minThreads === undefined || t.maxThreads === undefined || t.minThreads <= t.maxThreads, {
    message: 'Expected `minThreads` to be at most `maxThreads`',
    path: ['minThreads'],
  })
  .describe('Thread pool options.');

const greenSchema = z
  .strictObject({
    sliceMs: durationMs('How long the hub runs greenlets before yielding to the event loop (default 4).').optional(),
    blockingThresholdMs: durationMs('A greenlet step longer than this is reported as blocked (default 20).').optional(),
    maxGreenlets: inRange(heldCountRange, 'Most live greenlets; more are refused with QueueFullError.').optional(),
  })
  .describe('Green scheduler (hub) options.');

const adaptiveSchema = z
  .strictObject({
    sampleSize: inRange(
      sampleCountRange,
      'The sliding window: `auto` judges a task on threads by its last this many thread runs (default 20).',
    ).optional(),
    minThreadRunMs: durationMs(
      'A task whose median thread run is below this (ms), or below its median hop, moves in-process: inline if synchronous, else on a greenlet (default 0.5).',
    ).optional(),
    blockingThresholdMs: durationMs(
      'An in-process run or green step longer than this (ms) sends the task to threads for good (default 20).',
    ).optional(),
    blockingRunsToPin: inRange(
      sampleCountRange,
      "How many in-process runs or green steps over blockingThresholdMs, among a task's last sampleSize timed in-process runs, send it to threads for good (default 1, SPEC §7: the first one does; 2 or 3 where a loaded machine's scheduler stretches runs).",
    ).optional(),
    crashBudget: z
      .strictObject({
        crashes: inRange(crashCountRange, 'Worker crashes of one task that spend its budget.'),
        windowMs: durationMs('Within this long (ms, on the reactor clock).'),
        then: z
          .enum(['green', 'fail'])
          .describe("What its calls do once the budget is spent: `'green'` run in-process, `'fail'` errback `WorkerCrashedError` at once."),
      })
      .describe('A task whose workers crashed `crashes` times within `windowMs` stops being sent to threads (auto and rules alike). Default: none.')
      .optional(),
  })
  .refine((a) => a.blockingRunsToPin === undefined || a.blockingRunsToPin <= (a.sampleSize ?? defaultAdaptiveOptions.sampleSize), {
    // The in-process window keeps the last sampleSize runs: more runs over the threshold than it holds never add up.
    message: 'Expected `blockingRunsToPin` to be at most `sampleSize` (default 20): its runs are counted among the last `sampleSize`',
    path: ['blockingRunsToPin'],
  })
  .describe('How the `auto` route learns: the kind is where a task starts, measurements decide.');

const contextSchema = z
  .strictObject({
    carry: z
      .array(z.string().min(1))
      .describe('Names of the context carriers (defineContextCarrier) that travel with thread tasks; default: every registered carrier.')
      .optional(),
  })
  .describe('Which caller context crosses the thread boundary (SPEC §10).');

/** The zod definition of {@link PolicyConfig}; the single source of validation and of the JSON Schema. */
export const policyConfigSchema = z
  .strictObject({
    $schema: z.string().describe('Editor hint: the JSON Schema URL or path.').optional(),
    default: routeSchema.optional(),
    threads: threadsSchema.optional(),
    green: greenSchema.optional(),
    adaptive: adaptiveSchema.optional(),
    pools: z
      .record(z.string().min(1), threadsSchema)
      .describe('Named thread pools, each with its own workers and queue (same options as `threads`); a rule sends its thread calls to one with `pool`.')
      .optional(),
    context: contextSchema.optional(),
    rules: z.array(ruleSchema).describe('Routing rules, tried in order.').optional(),
  })
  .superRefine(checkRulePools)
  .describe('greenreactor policy: routes tasks between worker threads, greenlets and inline calls.');

/** A rule's `pool` must name a declared pool, and only a rule that can choose threads may name one. */
function checkRulePools(config: { pools?: Record<string, unknown> | undefined; rules?: ReadonlyArray<{ pool?: string | undefined; route: string }> | undefined }, ctx: z.RefinementCtx): void {
  const declared = Object.keys(config.pools ?? {});
  config.rules?.forEach((rule, i) => {
    if (rule.pool === undefined) return;
    if (!Object.hasOwn(config.pools ?? {}, rule.pool)) {
      const known = declared.length === 0 ? 'no pools are declared under `pools`' : `declared: ${declared.join(', ')}`;
      ctx.addIssue({ code: 'custom', path: ['rules', i, 'pool'], message: `Expected \`pool\` to name a pool under \`pools\`, got \`${rule.pool}\` (${known})` });
    } else if (rule.route !== 'thread' && rule.route !== 'auto') {
      ctx.addIssue({ code: 'custom', path: ['rules', i, 'pool'], message: `A \`pool\` is a thread pool: it needs route 'thread' or 'auto', got '${rule.route}'` });
    }
  });
}

/** A numeric interval used by rule matches: a value must satisfy every bound given. */
export interface PolicyRange {
  /** Greater than. */
  gt?: number | undefined;
  /** Greater than or equal to. */
  gte?: number | undefined;
  /** Less than. */
  lt?: number | undefined;
  /** Less than or equal to. */
  lte?: number | undefined;
}

/** A policy config (SPEC §7): default route, pool options, adaptive options and rules. */
export type PolicyConfig = z.input<typeof policyConfigSchema>;
/** One routing rule of a {@link PolicyConfig}. */
export type PolicyRule = z.input<typeof ruleSchema>;
/** The `match` part of a {@link PolicyRule}. */
export type PolicyMatch = z.input<typeof matchSchema>;
/** The `pools` section of a {@link PolicyConfig}: named thread pools, each with the options of `threads`. */
export type PolicyPools = z.input<typeof policyConfigSchema>['pools'];
/** The `threads` section of a {@link PolicyConfig}: options for the ThreadPool. */
export type PolicyThreadsOptions = z.input<typeof threadsSchema>;
/** The `green` section of a {@link PolicyConfig}: options for the Hub. */
export type PolicyGreenOptions = z.input<typeof greenSchema>;
/** The `adaptive.crashBudget` of a {@link PolicyConfig}. */
export type PolicyCrashBudget = z.input<typeof adaptiveSchema>['crashBudget'];
/** The `context` section of a {@link PolicyConfig}: which context carriers travel. */
export interface PolicyContextOptions {
  /** Names of the context carriers that travel with thread tasks; default: every registered carrier. */
  carry?: string[] | undefined;
}
/** The `adaptive` section of a {@link PolicyConfig}: how `auto` learns. */
export type PolicyAdaptiveOptions = z.input<typeof adaptiveSchema>;

/** The URL of the JSON Schema dialect the shipped schema uses. */
export const policySchemaId = 'https://unpkg.com/greenreactor/policy.schema.json';

/**
 * Generates the JSON Schema of {@link PolicyConfig} from the zod definition.
 *
 * The same object is shipped as `greenreactor/policy.schema.json`; point an editor's `$schema` at it to
 * get completion. Refinements a JSON Schema cannot state (glob syntax, `minThreads <= maxThreads`, empty
 * ranges) are checked by `Policy.load` only.
 * @returns a JSON Schema (draft 2020-12) object.
 */
export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(policyConfigSchema, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: policySchemaId, title: 'greenreactor policy' };
}
