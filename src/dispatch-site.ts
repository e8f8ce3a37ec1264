/**
 * The dispatch site: where the caller's code sent a call to another thread or host, appended to the stack of an
 * error coming back from it (SPEC §4: "the worker's stack, with the dispatch site appended").
 *
 * Why one module: the thread route and the remote route both capture and print it; the format lives here once.
 *
 * Invariants:
 * - A capture keeps only a few frames (a full stack costs several µs a dispatch); the frames are formatted only
 *   when an error is printed (V8 formats a captured `stack` lazily).
 * - A {@link DispatchSites} cache shares one capture between the calls of one task dispatched together in one
 *   synchronous run of code (a loop sending thousands): the site then says it is the first of them, never
 *   pretending to be the call's own. A task that has failed once gets a capture of its own for every later call.
 *
 * @module
 */

/** A captured dispatch site: an object whose `stack` V8 filled where the call was made. */
export interface DispatchSite {
  readonly stack?: string;
  /**
   * Set when the site is shared by several calls of a task dispatched together: how many (it grows while the
   * run of dispatches lasts). Absent: the site is the call's own.
   */
  shared?: number;
}

/**
 * Captures the caller's stack, `frames` deep, above `skip`.
 * @param frames - how many frames to keep.
 * @param skip - the function whose frame and those above it (the library's own) are left out.
 * @returns the site.
 */
export function captureDispatchSite(frames: number, skip: (...args: any[]) => unknown): DispatchSite {
  const site: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = frames;
  Error.captureStackTrace(site, skip);
  Error.stackTraceLimit = limit;
  return site;
}

/**
 * The text appended to a worker's (or host's) stack: a header naming the task, then the caller's frames.
 * @param site - the captured site, if any.
 * @param taskName - the task's name.
 * @param route - how it was sent, when not to a local thread (`'remote'`).
 * @returns the text, or `undefined` without a site.
 */
export function describeDispatchSite(site: DispatchSite | undefined, taskName: string, route?: 'remote'): string | undefined {
  const stack = site?.stack;
  if (stack === undefined) return undefined;
  const frames = stack.slice(stack.indexOf('\n') + 1);
  const how = route === undefined ? 'dispatched' : `dispatched (${route})`;
  const shared = site!.shared === undefined ? '' : ` (shared by the ${site!.shared} calls of it dispatched together; the first came from here)`;
  return `    --- task \`${taskName}\` ${how} from${shared} ---\n${frames}`;
}

/** Sites shared per task within one synchronous run of dispatches (see the module's invariants). */
export class DispatchSites {
  readonly #frames: number;
  /** The shared site per task object, for the current synchronous run of dispatches. */
  readonly #open = new Map<object, DispatchSite>();
  readonly #failed = new Set<string>();
  #clearing = false;

  /** @param frames - how many frames a capture keeps. */
  constructor(frames: number) {
    this.#frames = frames;
  }

  /**
   * The site of a call of `task` dispatched now: its own capture for the first call of the task in this run of
   * code (and for every call of a task that failed before), else the first call's, shared.
   * @param task - the task (its name tells failed tasks apart).
   * @param skip - the library function to leave out of the capture, with the frames above it.
   * @returns the site.
   */
  site(task: { readonly name: string }, skip: (...args: any[]) => unknown): DispatchSite {
    const open = this.#open.get(task);
    if (open !== undefined) {
      open.shared = (open.shared ?? 1) + 1;
      return open;
    }
    const site = captureDispatchSite(this.#frames, skip);
    if (this.#failed.has(task.name)) return site;
    this.#open.set(task, site);
    if (!this.#clearing) {
      this.#clearing = true;
      queueMicrotask(this.#clear);
    }
    return site;
  }

  /**
   * Notes that a call of `taskName` failed: from now on each of its calls captures its own site.
   * @param taskName - the task's name.
   */
  failed(taskName: string): void {
    this.#failed.add(taskName);
  }

  readonly #clear = (): void => {
    this.#clearing = false;
    this.#open.clear();
  };
}
