/**
 * Tasks: one definition of a unit of work that every path can run.
 *
 * A worker thread cannot receive a function, only the name of a module and an export to import.
 * A `Task` carries both, so the same definition runs in a worker (`deferToThread`), in-process as
 * a greenlet (`deferToGreenlet`) or inline, and the policy layer can route it by name and kind.
 *
 * @module
 */
import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';
import type { TransferListItem } from 'node:worker_threads';
import { importTaskFunction } from './import-task-function.js';
import { readTaskOptions } from './read-task-options.js';
import { safeString } from '../safe-string.js';

/** What kind of work a task does; the `auto` route sends `cpu`/`blocking` to threads, `io`/`cooperative` to greenlets. */
export type Kind = 'cpu' | 'blocking' | 'io' | 'cooperative';

/**
 * Where a task runs: a worker thread, a greenlet, synchronously inline, a remote host (a reactor with a remote
 * backend; `auto` never picks it), or wherever the policy decides.
 */
export type Route = 'thread' | 'green' | 'inline' | 'remote' | 'auto';

// The kinds and routes a task may name live with the reading of its options (no import cycle); exported from here.
export { routes, taskKinds } from './read-task-options.js';

/**
 * A function a task may wrap: plain (returns a value or a Promise), async, or a generator
 * function (on the green path its `yield`s are switch points; in a worker it runs to completion).
 */
export type TaskFunction<Args extends unknown[] = any[], R = unknown> =
  | ((...args: Args) => R | PromiseLike<R>)
  | ((...args: Args) => Generator<unknown, R, any>);

/** How a task wants to be run; every field is optional. */
export interface TaskOptions<Args extends unknown[] = any[]> {
  /**
   * What kind of work it is; drives the `auto` route.
   * @defaultValue undefined (auto learns it: starts on threads, moves to greenlets when runs are short)
   */
  kind?: Kind;
  /**
   * The route this task asks for, used when no policy rule matches.
   * @defaultValue undefined (the policy's `default`, itself `auto` by default)
   */
  route?: Route;
  /**
   * Time limit in ms, counted from dispatch (queue wait included); past it the task ends with `TimeoutError`. At most
   * 2³¹ − 1 (about 24.8 days, Node's longest timer; see `option-ranges.ts`).
   * @defaultValue undefined (no limit)
   */
  timeoutMs?: number;
  /**
   * How many times to re-run the task when its worker crashes (only for idempotent tasks; never after a thrown error).
   * Cannot be combined with `transfer` (`defineTask` throws `TypeError`): a moved buffer cannot be sent twice. An
   * integer from 0 to 100.
   * @defaultValue 0
   */
  retries?: number;
  /**
   * Picks the arguments' `ArrayBuffer`s (or other transferables) to move into the worker instead of copying them.
   * Called once per dispatch; if it throws, the task's Deferred errbacks with that error and nothing is sent.
   * Cannot be combined with `retries` above 0.
   * @example `transfer: (buf) => [buf]`
   */
  transfer?: (...args: Args) => TransferListItem[];
  /**
   * For `reactor.stream`: how many items the task may emit that the consumer has not read yet (in transit included)
   * before `emit` blocks (in a worker) or parks (in a greenlet). An integer from 1 to 1,000,000.
   * @defaultValue 16
   */
  streamWindow?: number;
}

const taskBrand = Symbol.for('greenreactor.task');

/**
 * What tells one task from another: its {@link Task.id}, and the name people read.
 *
 * Why not the name alone: two modules may each export a task named `parse`; what `auto` learns about one (it
 * blocked, its median run) must not move the other. A Task is one; so is a plain function's `{ id: name, name }`
 * (a plain function has no module: it is known by its name).
 */
export interface TaskIdentity {
  /** `moduleUrl#exportName` for a Task; the name for a plain function. */
  readonly id: string;
  /** The name people read: the Task's name or the function's. */
  readonly name: string;
}

/**
 * A unit of work that can run on every path; made by {@link defineTask} or {@link taskFrom}.
 *
 * `Args` and `R` are the function's parameters and its settled result (a generator's return
 * value, an async function's resolved value).
 */
export interface Task<Args extends unknown[] = any[], R = unknown> extends TaskIdentity {
  /** The task's name: its `exportName`. Two modules may export tasks of the same name: {@link Task.id} tells them apart. */
  readonly name: string;
  /**
   * `moduleUrl#exportName`: what identifies the task (every Task with the same id runs the same export in a worker).
   * What `auto` learns, and what the hub's step statistics and `'blocked'` events carry, is keyed by it.
   */
  readonly id: string;
  /** The `file:` URL (or other importable URL) of the module that exports the task. */
  readonly moduleUrl: string;
  /** The export under which the module makes the task (or the function) available. */
  readonly exportName: string;
  /** The options given at definition, frozen. */
  readonly options: Readonly<TaskOptions<Args>>;
  /** The function, when known without importing (`defineTask`); `undefined` for `taskFrom` until loaded. */
  readonly fn: TaskFunction<Args, R> | undefined;
  /**
   * The function to run in-process: at once for `defineTask`, imported lazily for `taskFrom`.
   * Rejects with `TaskNotFoundError` when the module or export is missing.
   */
  load(): Promise<TaskFunction<Args, R>>;
  /** Brand shared by every copy of the package (a `Symbol.for` key), so `isTask` works across copies. */
  readonly [taskBrand]: true;
}

/** Extracts a task's argument tuple. */
export type TaskArgs<T> = T extends Task<infer A, any> ? A : T extends (...args: infer A) => any ? A : never;

/** Extracts a task's (or function's) settled result type. */
export type TaskResult<T> =
  T extends Task<any, infer R>
    ? R
    : T extends (...args: any[]) => Generator<unknown, infer R, any>
      ? R
      : T extends (...args: any[]) => infer R
        ? Awaited<R>
        : never;

/**
 * Tells whether `value` is a Task (from this or any other loaded copy of greenreactor).
 * @param value - anything.
 * @returns true for a Task made by `defineTask` or `taskFrom`.
 */
export function isTask(value: unknown): value is Task {
  if (typeof value !== 'object' || value === null) return false;
  try {
    return (value as Record<symbol, unknown>)[taskBrand] === true;
  } catch {
    return false; // a Proxy whose `get` throws (a revoked one): no Task, and every entry point says so, never throws
  }
}

/**
 * Turns a module reference into the URL string a worker can `import()`.
 *
 * Accepts a `URL`, a URL string (`file:`, `data:`, `node:` …) or an absolute file path.
 * @throws TypeError for anything else (a relative path cannot be resolved the same way in a worker).
 */
export function normalizeModuleUrl(moduleUrl: string | URL): string {
  if (isUrl(moduleUrl)) return moduleUrl.href;
  if (typeof moduleUrl !== 'string' || moduleUrl === '') {
    throw new TypeError(
      `Expected \`moduleUrl\` to be a URL or an absolute path (use \`import.meta.url\`), got \`${safeString(moduleUrl)}\` (${typeof moduleUrl})`,
    );
  }
  if (isAbsolute(moduleUrl)) return pathToFileURL(moduleUrl).href;
  try {
    return new URL(moduleUrl).href;
  } catch {
    throw new TypeError(
      `Expected \`moduleUrl\` to be a URL or an absolute path (use \`import.meta.url\`), got \`${moduleUrl}\` (string)`,
    );
  }
}

/** `value instanceof URL`, false for a revoked Proxy (whose prototype cannot be read) instead of its TypeError. */
function isUrl(value: unknown): value is URL {
  try {
    return value instanceof URL;
  } catch {
    return false;
  }
}

function makeTask<Args extends unknown[], R>(
  moduleUrl: string,
  exportName: string,
  fn: TaskFunction<Args, R> | undefined,
  options: Readonly<TaskOptions<Args>>,
): Task<Args, R> {
  let loading: Promise<TaskFunction<Args, R>> | undefined;
  const load = (): Promise<TaskFunction<Args, R>> => {
    if (fn !== undefined) return Promise.resolve(fn);
    loading ??= importTaskFunction(moduleUrl, exportName) as Promise<TaskFunction<Args, R>>;
    return loading;
  };
  return Object.freeze({
    name: exportName,
    id: `${moduleUrl}#${exportName}`,
    moduleUrl,
    exportName,
    options,
    fn,
    load,
    [taskBrand]: true as const,
  });
}

/**
 * Defines a task: a function plus the module export a worker can import to find it again.
 *
 * Export the returned Task from `moduleUrl` under `exportName` (usually the same module,
 * `import.meta.url`), so a worker thread can import it; in-process paths call `fn` directly.
 *
 * @param moduleUrl - the module that exports the task; pass `import.meta.url`.
 * @param exportName - the export's name; becomes the task's `name`.
 * @param fn - a plain, async or generator function.
 * @param options - kind, route, timeout, retries, transfer.
 * @returns the Task.
 * @throws TypeError when an argument is malformed (`options` not an object, reading it throws, or it has a key that
 *   is no option, such as `timeoutMS`), or `retries` is combined with `transfer` (a definition bug, caught at module
 *   load); RangeError when `timeoutMs`, `retries` or `streamWindow` is a number outside its range
 *   (src/option-ranges.ts).
 * @example
 * ```ts
 * export const fib = defineTask(import.meta.url, 'fib', (n: number): number => (n < 2 ? n : fib.fn!(n - 1) + fib.fn!(n - 2)), { kind: 'cpu' });
 * ```
 */
export function defineTask<Args extends unknown[], R>(
  moduleUrl: string | URL,
  exportName: string,
  fn: TaskFunction<Args, R>,
  options: TaskOptions<Args> = {},
): Task<Args, R> {
  const url = normalizeModuleUrl(moduleUrl);
  if (typeof exportName !== 'string' || exportName === '') {
    throw new TypeError(`Expected \`exportName\` to be a non-empty string, got \`${safeString(exportName)}\` (${typeof exportName})`);
  }
  if (typeof fn !== 'function') {
    throw new TypeError(`Expected \`fn\` of task \`${exportName}\` to be a function, got ${typeof fn}`);
  }
  return makeTask(url, exportName, fn, readTaskOptions(options, exportName));
}

/**
 * Wraps an existing export of any module as a task, without touching that module.
 *
 * For in-process use the module is imported lazily, on first run.
 *
 * @param moduleUrl - the module's URL or absolute path.
 * @param exportName - the function's export name.
 * @param options - kind, route, timeout, retries, transfer.
 * @throws TypeError when an argument is malformed (as `defineTask`'s, an unknown option key included); RangeError
 *   for a numeric option out of its range, as `defineTask`.
 * @example
 * ```ts
 * const parse = taskFrom(new URL('./legacy-parser.js', import.meta.url), 'parseSync', { kind: 'blocking' });
 * ```
 */
export function taskFrom<Args extends unknown[] = any[], R = unknown>(
  moduleUrl: string | URL,
  exportName: string,
  options: TaskOptions<Args> = {},
): Task<Args, R> {
  const url = normalizeModuleUrl(moduleUrl);
  if (typeof exportName !== 'string' || exportName === '') {
    throw new TypeError(`Expected \`exportName\` to be a non-empty string, got \`${safeString(exportName)}\` (${typeof exportName})`);
  }
  return makeTask<Args, R>(url, exportName, undefined, readTaskOptions(options, exportName));
}
