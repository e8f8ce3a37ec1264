/**
 * The range of every numeric option a policy config (SPEC §7) or a task (SPEC §4) takes: one definition each, read by
 * the policy schema (`Policy.load`, `policy check`, the shipped JSON Schema) and by `defineTask`/`taskFrom`.
 *
 * Why upper bounds: the SPEC gives the lower ones ("thread counts are integers ≥ 1, other numbers ≥ 0"), but an
 * absurd finite number passed them and then did harm: `retries: 1e308` re-ran a task that crashes its worker for ever
 * (its Deferred never fired), `resourceLimits.stackSizeMb: 1e5` or `codeRangeSizeMb: 1e12` ended the whole process as
 * the first worker started (an uncaught `ERR_WORKER_INIT_FAILED`, a fatal V8 out-of-memory abort), `maxThreads: 2 **
 * 40` threw a bare `RangeError` from `new Reactor()`, `sampleSize: 2 ** 53` kept every run of every task for ever, and
 * `maxConcurrent: 1e9` or `timeoutMs: 1e308` are a unit slip or a wish for "no limit" (which is: leave it out). Each
 * bound below is far past any sensible setting and says why it is where it is; a value out of range is refused where
 * it is given, with the option's path (`PolicyConfigError`), or by {@link expectInRange} where an option is read in
code (`new Hub()`, `new ThreadPool()`, `defineTask`): `RangeError` for a number out of range, `TypeError` for a value
that is not a number.
 *
 * @module
 */
import { describeValue } from './describe-value.js';
import { maxTimerDelayMs } from './max-timer-delay.js';

/** A closed interval a numeric option must lie in; `integer`: only whole numbers. */
export interface OptionRange {
  /** The least value allowed. */
  readonly min: number;
  /** The greatest value allowed. */
  readonly max: number;
  /** Whether only integers are allowed. */
  readonly integer: boolean;
}

/**
 * A time in ms (a timeout, a grace, a window, a slice): at most 2³¹ − 1 ms (about 24.8 days), the longest delay a
 * Node timer takes (`setTimeout` turns a longer one into 1 ms).
 */
export const durationMsRange: OptionRange = { min: 0, max: maxTimerDelayMs, integer: false };

/** Worker threads in one pool (`minThreads`, `maxThreads`) and tasks one worker runs at once: 1 to 1024. */
export const threadCountRange: OptionRange = { min: 1, max: 1024, integer: true };

/**
 * Calls or items held at once (a bulkhead's `maxConcurrent`, `maxQueue`, `maxGreenlets`, a coalesced batch, a stream
 * window): at most a million; past that the limit bounds nothing a process can hold.
 */
export const heldCountRange: OptionRange = { min: 1, max: 1_000_000, integer: true };

/** `threads.maxQueue`: as {@link heldCountRange}, but 0 is allowed (no task waits for a worker). */
export const maxQueueRange: OptionRange = { min: 0, max: 1_000_000, integer: true };

/**
 * Re-runs and crashes counted per task (`retries`, `crashBudget.crashes`): at most 100. Each one is a worker that
 * died; a task that crashes more often than that will not be saved by another try.
 */
export const retryCountRange: OptionRange = { min: 0, max: 100, integer: true };

/** `adaptive.crashBudget.crashes`: as {@link retryCountRange}, at least 1. */
export const crashCountRange: OptionRange = { min: 1, max: 100, integer: true };

/** `adaptive.sampleSize` and `blockingRunsToPin`: runs kept per task in `auto`'s sliding windows, at most 1000. */
export const sampleCountRange: OptionRange = { min: 1, max: 1000, integer: true };

/** `threads.recycle.maxTasks`: tasks a worker starts in its life, at most 2³¹ − 1. */
export const lifetimeTaskCountRange: OptionRange = { min: 1, max: 2 ** 31 - 1, integer: true };

/** `threads.coalesce.maxArgBytes`: argument bytes of a call that may travel in a batch, at most 1 GiB. */
export const argBytesRange: OptionRange = { min: 0, max: 2 ** 30, integer: false };

/**
 * A worker's heap sizes in MiB (`resourceLimits.maxOldGenerationSizeMb`, `maxYoungGenerationSizeMb`,
 * `codeRangeSizeMb`, `recycle.maxHeapMb`): at most 65536 (64 GiB). V8 reserves the code range up front: 1e12 aborted
 * the whole process as a worker started.
 */
export const heapMbRange: OptionRange = { min: 0, max: 65_536, integer: false };

/**
 * A worker's stack in MiB (`resourceLimits.stackSizeMb`, Node's default 4): at most 1024. A thread whose stack cannot
 * be reserved fails to start (`1e5` ended the process with an uncaught `ERR_WORKER_INIT_FAILED`).
 */
export const stackMbRange: OptionRange = { min: 0, max: 1024, integer: false };

/**
 * Tells why `value` is not in `range`, in p-queue's form, or returns `undefined` when it is.
 * @param subject - what is checked, e.g. "`retries` of task `resize`".
 * @param value - the value (a number, or not).
 * @param range - its range.
 * @returns the problem, or `undefined`.
 */
export function rangeProblem(subject: string, value: unknown, range: OptionRange): string | undefined {
  if (typeof value === 'number' && (range.integer ? Number.isInteger(value) : Number.isFinite(value)) && value >= range.min && value <= range.max) {
    return undefined;
  }
  const what = range.integer ? 'an integer' : 'a number';
  return `Expected ${subject} to be ${what} from ${range.min} to ${range.max}`;
}

/**
 * Returns `value` when it lies in `range`, else throws the error JavaScript's own APIs throw for it: `TypeError` when
 * it is not a number, `RangeError` when it is a number out of the range (`NaN`, `Infinity` and a fraction for an
 * integer option included), the message naming the option and the range in p-queue's form.
 *
 * Why one function: `new Hub()`, `new ThreadPool()` and `defineTask` read the same ranges, and each used to pick its
 * own error class for the same mistake (a `RangeError` from the hub, a `TypeError` from the other two).
 *
 * @param subject - what is checked, e.g. "`retries` of task `resize`".
 * @param value - the value (a number, or not).
 * @param range - its range.
 * @param orInfinity - whether `Infinity` ("no limit") is taken too; the message then says so.
 * @returns `value`, a number.
 * @throws TypeError when `value` is not a number; RangeError when it is a number out of `range`.
 */
export function expectInRange(subject: string, value: unknown, range: OptionRange, orInfinity = false): number {
  if (orInfinity && value === Infinity) return value;
  const problem = rangeProblem(subject, value, range);
  if (problem === undefined) return value as number;
  const message = `${problem}${orInfinity ? ' or Infinity' : ''}, got ${describeValue(value)}`;
  throw typeof value === 'number' ? new RangeError(message) : new TypeError(message);
}
