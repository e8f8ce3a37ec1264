/**
 * Errors across the thread boundary: flatten in one thread, rebuild in the other.
 *
 * Structured clone keeps only an error's `message` and `stack` (and the name of built-in classes), losing `code`,
 * `cause` chains of custom errors and every own property. So errors travel as a plain description and are rebuilt
 * on arrival: greenreactor's own errors (found by `code`) become their real classes again, built-in classes
 * (`TypeError`…) theirs, anything else an `Error` carrying the original `name`.
 *
 * @module
 */
import { FailureGroup } from '../deferred/failure-group.js';
import { FirstError } from '../deferred/first-error.js';
import * as errors from '../errors.js';
import { safeString } from '../safe-string.js';

/** An error flattened for `postMessage`. */
export interface SerializedError {
  /** `true` when the thrown value was an object with a message (an Error or error-like); else `value` holds it. */
  readonly isError: boolean;
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly code: unknown;
  readonly cause: SerializedError | undefined;
  /** Own enumerable properties that could be cloned (others are described with `String()`). */
  readonly props: Record<string, unknown>;
  /** The thrown value itself when it was not an error (a string, a number…), cloned or stringified. */
  readonly value: unknown;
}

const skipped = new Set(['name', 'message', 'stack', 'code', 'cause']);

function cloneable(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return safeString(value);
  }
}

/**
 * Reads `key` of a thrown object, which may be a Proxy or have throwing getters (user code): a read that throws
 * gives `unreadable(error)` instead of escaping.
 */
function read(target: object, key: string, unreadable: (error: unknown) => unknown): unknown {
  try {
    return (target as Record<string, unknown>)[key];
  } catch (error) {
    return unreadable(error);
  }
}

/** Whether a thrown value looks like an error (an object with a `message`); false when even asking throws. */
function isErrorLike(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  try {
    return 'message' in value;
  } catch {
    return false; // a revoked Proxy: described as a thrown value
  }
}

function ownKeys(value: object): string[] {
  try {
    return Object.keys(value);
  } catch {
    return [];
  }
}

/**
 * Flattens a thrown value so it survives `postMessage` with its `name`, `message`, `stack`, `code`, `cause` and own
 * enumerable properties.
 *
 * Never throws, whatever was thrown: it runs as a task's failure is sent back, where an exception would leave the
 * call without its outcome (reported as a worker crash although the worker lives). A field that cannot be read
 * (a throwing getter, a revoked Proxy) or cloned is described with {@link safeString}; a `message` that cannot be
 * read says so.
 * @param error - anything that was thrown.
 * @param depth - how deep `cause` chains are followed.
 * @returns the description.
 */
export function serializeError(error: unknown, depth = 8): SerializedError {
  if (!isErrorLike(error)) {
    return { isError: false, name: 'Error', message: safeString(error), stack: undefined, code: undefined, cause: undefined, props: {}, value: cloneable(error) };
  }
  const text = (key: string): string => safeString(read(error, key, (e) => `<${key} unreadable: ${safeString(e)}>`));
  const props: Record<string, unknown> = {};
  for (const key of ownKeys(error)) {
    if (!skipped.has(key)) props[key] = cloneable(read(error, key, safeString));
  }
  const cause = read(error, 'cause', safeString);
  const stack = read(error, 'stack', () => undefined);
  return {
    isError: true,
    name: text('name'),
    message: text('message'),
    stack: typeof stack === 'string' ? stack : undefined,
    code: cloneable(read(error, 'code', safeString)),
    cause: cause !== undefined && depth > 0 ? serializeError(cause, depth - 1) : undefined,
    props,
    value: undefined,
  };
}

const builtins: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

type ErrorClass = abstract new (...args: any[]) => Error;

/** greenreactor's own errors by `code`, so they come back as their real classes (not `Error` with a name). */
const libraryByCode = new Map<string, ErrorClass>([
  ['ERR_GREENREACTOR', errors.GreenReactorError],
  ['ERR_ALREADY_CALLED', errors.AlreadyCalledError],
  ['ERR_ALREADY_CANCELLED', errors.AlreadyCancelledError],
  ['ERR_CANCELLED', errors.CancelledError],
  ['ERR_TIMEOUT', errors.TimeoutError],
  ['ERR_FIRST_ERROR', FirstError],
  ['ERR_FAILURE_GROUP', FailureGroup],
  ['ERR_QUEUE_OVERFLOW', errors.QueueOverflow],
  ['ERR_QUEUE_UNDERFLOW', errors.QueueUnderflow],
  ['ERR_REACTOR_STOPPED', errors.ReactorStoppedError],
  ['ERR_WORKER_CRASHED', errors.WorkerCrashedError],
  ['ERR_TASK_NOT_FOUND', errors.TaskNotFoundError],
  ['ERR_QUEUE_FULL', errors.QueueFullError],
  ['ERR_DATA_CLONE', errors.DataCloneError],
  ['ERR_GREENLET_EXIT', errors.GreenletExit],
  ['ERR_QUEUE_FULL_NOWAIT', errors.QueueFull],
  ['ERR_QUEUE_EMPTY', errors.QueueEmpty],
  ['ERR_POLICY_CONFIG', errors.PolicyConfigError],
  ['ERR_CONTEXT_CARRIER', errors.ContextCarrierError],
  ['ERR_REMOTE_UNAVAILABLE', errors.RemoteUnavailableError],
  ['ERR_CONCURRENT_WAIT', errors.ConcurrentWaitError],
]);

/**
 * Rebuilds an error described by {@link serializeError}.
 * @param s - the description.
 * @param extraStack - text appended to the stack (the dispatch site), if any.
 * @returns an error of the library class with that `code`, of the built-in class with that `name`, or an `Error`;
 *   a thrown non-error value comes back as itself.
 */
export function reviveError(s: SerializedError, extraStack?: string): unknown {
  if (!s.isError) return s.value;
  const libraryClass = typeof s.code === 'string' ? libraryByCode.get(s.code) : undefined;
  const ctor = libraryClass ?? builtins[s.name] ?? Error;
  const error = Object.create(ctor.prototype as object) as Record<string, unknown>;
  const hidden = (key: string, value: unknown): void => {
    Object.defineProperty(error, key, { value, writable: true, configurable: true, enumerable: false });
  };
  hidden('message', s.message);
  const stack = s.stack ?? `${s.name}: ${s.message}`;
  hidden('stack', extraStack === undefined ? stack : `${stack}\n${extraStack}`);
  if (s.cause !== undefined) hidden('cause', reviveError(s.cause));
  // Library errors carry `name` and `code` as own enumerable fields; keep that shape.
  if (libraryClass !== undefined) {
    error.name = s.name;
    error.code = s.code;
  } else {
    if ((ctor.prototype as Error).name !== s.name) hidden('name', s.name);
    if (s.code !== undefined) error.code = s.code;
  }
  Object.assign(error, s.props);
  return error;
}
