/**
 * The dispatch site: where the caller's code sent a call to another thread or host, appended to the stack of an
 * error coming back from it (SPEC §4: "the worker's stack, with the dispatch site appended").
 *
 * Why one module: the thread route and the remote route both capture and print it; the format lives here once.
 *
 * Invariants:
 * - A capture keeps a bounded number of frames; the frames are formatted only when an error is printed (V8
 *   formats a captured `stack` lazily).
 * - The printed site starts at the caller's code: the library's own frames (everything under this package's
 *   source folder) are dropped, except the last one, the public entry the caller called (`Reactor.dispatch`,
 *   `Reactor.deferToThread`…). A call that went through `dispatch`, its policy and a pool has several library
 *   frames above the user's, so the capture keeps enough frames to reach past them.
 * - A call held back before it reaches its route (a rule's bulkhead, `maxConcurrent`) is sent later from library
 *   code alone: its site is captured when the caller dispatched it and carried to where the route captures
 *   ({@link withDispatchSite}), which then takes the carried site instead of capturing. Only that path pays for it:
 *   elsewhere the capture checks one module variable.
 * - A {@link DispatchSites} cache shares one capture between the calls of one task dispatched together in one
 *   synchronous run of code (a loop sending thousands): the site then says it is the first of them, never
 *   pretending to be the call's own. A task that has failed once gets a capture of its own for every later call;
 *   tasks are told apart by id (`moduleUrl#exportName`): another module's task of the same name still shares.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';

/** This package's source folder (`dist/src/` built, `src/` under a TypeScript loader): its frames are the library's. */
const libraryFolder = fileURLToPath(new URL('./', import.meta.url));

/** A settled Promise, to run something after the current synchronous run of code (see `DispatchSites`). */
const settled = Promise.resolve();

/** A site captured earlier, for the next capture made within {@link withDispatchSite} (taken once). */
let carried: DispatchSite | undefined;

/** How many of the caller's frames a printed site shows, after the public entry's. */
const callerFrames = 4;

/**
 * A task as {@link DispatchSites} knows it: a Task (by its `id`), or a plain function (no `id`: by its name, a plain
 * function's identity).
 */
export interface DispatchedTask {
  readonly name: string;
  readonly id?: string;
}

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
  if (carried !== undefined) return takeCarried();
  const limit = Error.stackTraceLimit;
  // An Error made with no frames, then captured into: V8 captures about twice as fast into an Error, whose map
  // already has the lazy `stack` accessor, as into a plain object, which must be given one (measured here: the
  // capture is most of what a lone thread call costs beyond Piscina's own round trip).
  Error.stackTraceLimit = 0;
  const site: DispatchSite = new Error();
  Error.stackTraceLimit = frames;
  Error.captureStackTrace(site, skip);
  Error.stackTraceLimit = limit;
  return site;
}

/**
 * Captures the stack where it is called, `frames` deep, this function's own frame first: for a route's public entry
 * to call straight from its own frame, which then prints as the entry (the library frame before the caller's).
 *
 * Why not {@link captureDispatchSite}: V8's cost is the walk, and `Error.captureStackTrace` must walk past every frame
 * above `skip` and check each against it; a plain `new Error()` keeps the frames from its caller on, with no check.
 * Measured on this machine (Node 20): about 2 µs against 3.5 µs through the pool's former chain of helpers.
 * @param frames - how many frames to keep, this function's own and the entry's included.
 * @returns the site.
 */
export function newDispatchSite(frames: number): DispatchSite {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = frames;
  const site: DispatchSite = new Error();
  Error.stackTraceLimit = limit;
  return site;
}

/**
 * Runs `start` with `site` as the dispatch site of the call it sends: the first dispatch site captured within it
 * (`captureDispatchSite`, `DispatchSites.site`) is `site` itself, not the stack of library code releasing a call
 * that waited (a bulkhead's). Later captures, and any after `start` returned, capture as usual.
 *
 * Why ambient rather than a parameter: a route's entry points (`ThreadPool.run`, the remote backend) take the
 * caller's arguments as they are; the site travels beside them for the one synchronous call that sends it.
 *
 * @param site - the site captured when the caller dispatched the call.
 * @param start - sends the call (synchronously captures its site, if the route captures one).
 * @returns what `start` returns.
 * @throws whatever `start` throws (the carried site is dropped either way).
 */
export function withDispatchSite<T>(site: DispatchSite, start: () => T): T {
  const outer = carried;
  carried = site;
  try {
    return start();
  } finally {
    carried = outer;
  }
}

function takeCarried(): DispatchSite {
  const site = carried!;
  carried = undefined;
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
  const frames = callersFrames(stack.split('\n').slice(1)).join('\n');
  const how = route === undefined ? 'dispatched' : `dispatched (${route})`;
  const shared = site!.shared === undefined ? '' : ` (shared by the ${site!.shared} calls of it dispatched together; the first came from here)`;
  return `    --- task \`${taskName}\` ${how} from${shared} ---\n${frames}`;
}

/**
 * The frames to print: from the last library frame before the caller's first (the public entry) on, at most
 * {@link callerFrames} of the caller's. All of them when none is the caller's (a call sent later by library code that carried no site for it).
 * @param frames - the captured frames, outermost last.
 * @returns the frames to print.
 */
function callersFrames(frames: readonly string[]): readonly string[] {
  const first = frames.findIndex((frame) => !frame.includes(libraryFolder));
  if (first < 0) return frames;
  return frames.slice(Math.max(0, first - 1), first + callerFrames);
}

/** Sites shared per task within one synchronous run of dispatches (see the module's invariants). */
export class DispatchSites {
  readonly #frames: number;
  /** The shared site per task object, for the current synchronous run of dispatches. */
  readonly #open = new Map<object, DispatchSite>();
  /** The ids of the tasks that failed. */
  readonly #failed = new Set<string>();
  #clearing = false;

  /** @param frames - how many frames a capture keeps. */
  constructor(frames: number) {
    this.#frames = frames;
  }

  /**
   * The site of a call of `task` dispatched now: its own capture for the first call of the task in this run of
   * code (and for every call of a task that failed before), else the first call's, shared.
   * @param task - the task (its id tells failed tasks apart).
   * @param skip - the library function to leave out of the capture, with the frames above it.
   * @returns the site.
   */
  site(task: DispatchedTask, skip: (...args: any[]) => unknown): DispatchSite {
    return this.reuse(task) ?? this.opened(task, captureDispatchSite(this.#frames, skip));
  }

  /**
   * The site a call of `task` dispatched now takes without a capture of its own: a held call's carried site
   * ({@link withDispatchSite}), or the site of the first call of the task in this synchronous run (then shared).
   *
   * Why apart from {@link DispatchSites.site}: a route's public entry captures in its own frame (`new Error()` there,
   * see {@link newDispatchSite}), since every frame between the capture and the caller's adds to its cost.
   * @param task - the task.
   * @returns the site to take, or `undefined`: capture one and hand it to {@link DispatchSites.opened}.
   */
  reuse(task: DispatchedTask): DispatchSite | undefined {
    if (carried !== undefined) return takeCarried(); // a held call's own site (withDispatchSite): never shared
    const open = this.#open.get(task);
    if (open !== undefined) open.shared = (open.shared ?? 1) + 1;
    return open;
  }

  /**
   * Notes a site just captured for a call of `task` (when {@link DispatchSites.reuse} gave none): later calls of the
   * task in this synchronous run share it, unless the task failed before.
   * @param task - the task (its id tells failed tasks apart).
   * @param site - the call's own capture.
   * @returns `site`.
   */
  opened(task: DispatchedTask, site: DispatchSite): DispatchSite {
    if (this.#failed.has(task.id ?? task.name)) return site;
    this.#open.set(task, site);
    if (!this.#clearing) {
      this.#clearing = true;
      // A native reaction, not queueMicrotask: Node's makes an async resource per call, on every lone dispatch.
      void settled.then(this.#clear);
    }
    return site;
  }

  /**
   * Notes that a call of `task` failed: from now on each of its calls captures its own site (another module's task
   * of the same name is another task: its calls still share).
   * @param task - the task (known by its id).
   */
  failed(task: DispatchedTask): void {
    this.#failed.add(task.id ?? task.name);
  }

  readonly #clear = (): void => {
    this.#clearing = false;
    this.#open.clear();
  };
}
