/**
 * Every error greenreactor raises or errbacks with, in one place — except the two that carry `Failure`s, which live
 * with the Deferred combinators that raise them (`deferred/first-error.ts`, `deferred/failure-group.ts`), so this
 * file imports nothing and every folder may import it.
 *
 * Each class has a `name` equal to its class name and a stable `code` string, so callers can
 * match on `err.code` / `err.name` even when two copies of the package are loaded (where
 * `instanceof` breaks). Errors that cross the thread boundary are rebuilt from `code`.
 *
 * @module
 */
/** Options accepted by every greenreactor error: the standard `cause`. */
export interface GreenReactorErrorOptions {
  /** The error that led to this one. */
  cause?: unknown;
}

/** Base class of every greenreactor error; carries a stable machine-readable `code`. */
export class GreenReactorError extends Error {
  /** Stable identifier of the error kind (`'ERR_CANCELLED'`…); match on this, not on `instanceof`. */
  readonly code: string;

  /**
   * @param message - what went wrong and, where possible, how to fix it.
   * @param code - the stable error code.
   * @param options - `cause`, the underlying error.
   */
  constructor(message: string, code = 'ERR_GREENREACTOR', options?: GreenReactorErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** A Deferred or DelayedCall was fired (or run) a second time. */
export class AlreadyCalledError extends GreenReactorError {
  /** @param message - which object was already called. */
  constructor(message = 'The Deferred was already called', options?: GreenReactorErrorOptions) {
    super(message, 'ERR_ALREADY_CALLED', options);
  }
}

/** A DelayedCall was cancelled, reset or delayed after it had already been cancelled. */
export class AlreadyCancelledError extends GreenReactorError {
  /** @param message - which object was already cancelled. */
  constructor(message = 'The call was already cancelled', options?: GreenReactorErrorOptions) {
    super(message, 'ERR_ALREADY_CANCELLED', options);
  }
}

/** The operation was cancelled before it produced a result; the one cancellation error on every path. */
export class CancelledError extends GreenReactorError {
  /** @param message - what was cancelled. */
  constructor(message = 'The operation was cancelled', options?: GreenReactorErrorOptions) {
    super(message, 'ERR_CANCELLED', options);
  }
}

/** The operation did not finish within its time limit. */
export class TimeoutError extends GreenReactorError {
  /** @param message - what timed out and after how long. */
  constructor(message = 'The operation timed out', options?: GreenReactorErrorOptions) {
    super(message, 'ERR_TIMEOUT', options);
  }
}

/**
 * A queue had no room. The parent of every "full" error (gevent's `PoolFull` is a `QueueFull` the same way): catch
 * `QueueFull` to handle them all, tell them apart by `code`.
 *
 * - `QueueFull` itself (`ERR_QUEUE_FULL_NOWAIT`): a green `Queue` had no room — `putNowait` on a full queue, or a
 *   `put` that timed out.
 * - {@link QueueFullError} (`ERR_QUEUE_FULL`): a pool refused work — the thread pool's `maxQueue`, the hub's
 *   `maxGreenlets`.
 * - {@link QueueOverflow} (`ERR_QUEUE_OVERFLOW`): a `DeferredQueue` already holds `size` items.
 */
export class QueueFull extends GreenReactorError {
  /**
   * @param message - the queue's state.
   * @param options - `cause`.
   * @param code - the subclass's code (`QueueFull` itself: `ERR_QUEUE_FULL_NOWAIT`).
   */
  constructor(message = 'The queue is full', options?: GreenReactorErrorOptions, code = 'ERR_QUEUE_FULL_NOWAIT') {
    super(message, code, options);
  }
}

/** `DeferredQueue.put` was called on a queue already holding `size` items; a {@link QueueFull}. */
export class QueueOverflow extends QueueFull {
  /** @param message - the queue's size limit. */
  constructor(message = 'The DeferredQueue is full', options?: GreenReactorErrorOptions) {
    super(message, options, 'ERR_QUEUE_OVERFLOW');
  }
}

/** `DeferredQueue.get` was called while `backlog` getters were already waiting. */
export class QueueUnderflow extends GreenReactorError {
  /** @param message - the queue's backlog limit. */
  constructor(message = 'The DeferredQueue backlog is full', options?: GreenReactorErrorOptions) {
    super(message, 'ERR_QUEUE_UNDERFLOW', options);
  }
}

/** Work was submitted to (or was still pending in) a reactor that is stopping or stopped. */
export class ReactorStoppedError extends GreenReactorError {
  /** @param message - what was refused. */
  constructor(message = 'The reactor is stopped; no new work is accepted', options?: GreenReactorErrorOptions) {
    super(message, 'ERR_REACTOR_STOPPED', options);
  }
}

/**
 * @internal The mark a thread pool puts on a {@link WorkerCrashedError} it has accounted for: a crash it already told
 * its owner of (`ThreadPoolWiring.onCrash`), or the death of a worker after the run's task had ended (not the task's
 * crash). The crash budget (`src/policy/crash-guard.ts`), which also sees the Deferred's outcome, does not count a
 * marked one (again). Defined here, beside the error, because both layers import this file. A registered symbol, so
 * two loaded copies of the library agree on it.
 */
export const crashReported = Symbol.for('greenreactor.crashReported');

/** The worker thread running a task died (crash, `process.exit`, out of memory) before the task finished. */
export class WorkerCrashedError extends GreenReactorError {
  /** The worker's exit code, when known. */
  readonly exitCode: number | undefined;
  /** The name of the task that was running. */
  readonly task: string | undefined;

  /**
   * @param message - what happened.
   * @param details - the exit code and task name.
   */
  constructor(
    message: string,
    details: { exitCode?: number | undefined; task?: string | undefined } = {},
    options?: GreenReactorErrorOptions,
  ) {
    super(message, 'ERR_WORKER_CRASHED', options);
    this.exitCode = details.exitCode;
    this.task = details.task;
  }
}

/** A task's module could not be loaded, or it has no such export. */
export class TaskNotFoundError extends GreenReactorError {
  /** The module URL that was imported. */
  readonly moduleUrl: string | undefined;
  /** The export that was looked up. */
  readonly exportName: string | undefined;

  /**
   * @param message - what was missing and how to fix it.
   * @param details - the module URL and export name.
   */
  constructor(
    message: string,
    details: { moduleUrl?: string | undefined; exportName?: string | undefined } = {},
    options?: GreenReactorErrorOptions,
  ) {
    super(message, 'ERR_TASK_NOT_FOUND', options);
    this.moduleUrl = details.moduleUrl;
    this.exportName = details.exportName;
  }
}

/**
 * A pool refused more work (the thread pool's `maxQueue`, the hub's `maxGreenlets`); a {@link QueueFull}, as
 * gevent's `PoolFull` is.
 */
export class QueueFullError extends QueueFull {
  /** @param message - which limit was hit. */
  constructor(message = 'The queue is full', options?: GreenReactorErrorOptions) {
    super(message, options, 'ERR_QUEUE_FULL');
  }
}

/** An argument (or result) could not be structured-cloned to or from a worker. */
export class DataCloneError extends GreenReactorError {
  /** The task whose argument failed. */
  readonly task: string | undefined;
  /** The position of the argument that could not be cloned. */
  readonly argumentIndex: number | undefined;

  /**
   * @param message - what could not be cloned and how to fix it.
   * @param details - the task name and argument position.
   */
  constructor(
    message: string,
    details: { task?: string | undefined; argumentIndex?: number | undefined } = {},
    options?: GreenReactorErrorOptions,
  ) {
    super(message, 'ERR_DATA_CLONE', options);
    this.task = details.task;
    this.argumentIndex = details.argumentIndex;
  }
}

/**
 * The remote route's engine could not be reached: Redis did not answer within `unreachableMs` of a call (at
 * connection or after the connection dropped). The call's job may or may not have reached a host; retry the call
 * if the task is idempotent.
 */
export class RemoteUnavailableError extends GreenReactorError {
  /** @param message - what could not be reached, for how long, and the underlying connection error. */
  constructor(message = 'The remote engine is unreachable', options?: GreenReactorErrorOptions) {
    super(message, 'ERR_REMOTE_UNAVAILABLE', options);
  }
}

/** Thrown into a greenlet to end it quietly; a greenlet that exits with it counts as successful (gevent's rule). */
export class GreenletExit extends GreenReactorError {
  /** @param message - why the greenlet was asked to exit. */
  constructor(message = 'The greenlet was killed', options?: GreenReactorErrorOptions) {
    super(message, 'ERR_GREENLET_EXIT', options);
  }
}

/**
 * A greenlet awaited two hub waits at once: its code made a hub wait while an `await` of another was still pending
 * (a floating `async` branch started without `await`, or a `Promise.race` over a hub wait that the other side won).
 * A greenlet has one line of control, so the older wait is released and its pending `await` rejects with this.
 */
export class ConcurrentWaitError extends GreenReactorError {
  /** @param message - which greenlet, and what to write instead. */
  constructor(message = 'The greenlet made another hub wait while this one was awaited', options?: GreenReactorErrorOptions) {
    super(message, 'ERR_CONCURRENT_WAIT', options);
  }
}

/** A green `Queue` had no item: `getNowait` on an empty queue, or a `get` that timed out. */
export class QueueEmpty extends GreenReactorError {
  /** @param message - the queue's state. */
  constructor(message = 'The queue is empty', options?: GreenReactorErrorOptions) {
    super(message, 'ERR_QUEUE_EMPTY', options);
  }
}

/** One problem found in a policy config: where (a JSON Pointer) and what. */
export interface PolicyConfigIssue {
  /** JSON Pointer to the offending value, e.g. `/threads/maxThreads`; `""` for the whole file. */
  path: string;
  /** What is wrong and what is expected. */
  message: string;
}

/** A policy config is invalid; `issues` lists every problem with its path, all at once. */
export class PolicyConfigError extends GreenReactorError {
  /** Every problem found, with its JSON Pointer path. */
  readonly issues: PolicyConfigIssue[];

  /**
   * @param issues - the problems found.
   * @param source - where the config came from (a file path), for the message.
   */
  constructor(issues: PolicyConfigIssue[], source?: string, options?: GreenReactorErrorOptions) {
    const where = source === undefined ? 'policy config' : `policy config ${source}`;
    // The message lists the first issues only (a generated file can have 200,000); every one stays in `issues`.
    // Written out here, not with `boundedLines`: this file imports nothing.
    const shown = issues.slice(0, 20).map((i) => `  ${i.path === '' ? '(root)' : i.path}: ${i.message}`);
    if (issues.length > shown.length) shown.push(`  … and ${issues.length - shown.length} more issues (\`error.issues\` lists every one)`);
    const lines = shown.join('\n');
    super(`Invalid ${where} (${issues.length} issue${issues.length === 1 ? '' : 's'}):\n${lines}`, 'ERR_POLICY_CONFIG', options);
    this.issues = issues;
  }
}

/**
 * A context carrier (`defineContextCarrier`) could not do its part: its `capture` threw or returned a value that
 * cannot be structured-cloned (the call is not sent), or a value arrived under a name the receiving side never
 * registered (the carrier's module is not imported there). The task does not run without its context.
 */
export class ContextCarrierError extends GreenReactorError {
  /** The carrier's name. */
  readonly carrier: string | undefined;

  /**
   * @param message - what failed and how to fix it.
   * @param details - the carrier's name.
   */
  constructor(message: string, details: { carrier?: string | undefined } = {}, options?: GreenReactorErrorOptions) {
    super(message, 'ERR_CONTEXT_CARRIER', options);
    this.carrier = details.carrier;
  }
}
