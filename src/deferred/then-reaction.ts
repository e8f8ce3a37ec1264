/**
 * `ThenReaction`: one `Deferred.then()` call, from the link it adds to the chain to the Promise it returns.
 *
 * Invariants:
 * - One Promise per `then` call and no other allocation but this record: the Promise's resolving functions are
 *   taken by a shared executor (no closure per call), and the chain holds the record itself in its link.
 * - Handlers run asynchronously (Promises/A+ 2.2.4): never inside `then()` nor inside the `callback`/`errback` that
 *   fired the Deferred. Reactions that come due are run in FIFO order by one microtask per generation (a batch of
 *   10,000 results settled in one turn costs one microtask, not 10,000); reactions that come due while a
 *   generation runs wait for the next one, which is queued behind any microtask queued meanwhile.
 * - A reaction without a handler for its outcome settles its Promise at once: a Promise settles its own reactions
 *   asynchronously, so nothing of the caller's runs early.
 *
 * @module
 */

/** The executor's capture: `new Promise(capture)` runs it synchronously, so these are read right after. */
let capturedResolve: (value: unknown) => void = () => undefined;
let capturedReject: (reason: unknown) => void = () => undefined;

function capture(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/** Reactions due in the current generation, and whether its microtask is queued. */
let due: ThenReaction[] = [];
let flushQueued = false;
const resolved = Promise.resolve();

function flush(): void {
  const batch = due;
  due = [];
  flushQueued = false;
  for (let i = 0; i < batch.length; i++) batch[i]!.run();
}

/**
 * The state of one `then()` call: its handlers, its Promise's resolving functions and, once due, the outcome.
 *
 * Why a record and a shared queue rather than `new Promise` + `queueMicrotask` per call: awaiting thousands of
 * Deferreds (`Promise.all` over a batch of thread results) is the hot path, and Node's `queueMicrotask` allocates an
 * async resource per call. Internal to the Deferred family.
 */
export class ThenReaction {
  /** The Promise `then()` returns. */
  readonly promise: Promise<any>;
  #onFulfilled: ((value: any) => unknown) | undefined;
  #onRejected: ((reason: any) => unknown) | undefined;
  readonly #resolve: (value: unknown) => void;
  readonly #reject: (reason: unknown) => void;
  #value: unknown = undefined;
  #failed = false;

  /**
   * @param onFulfilled - gets the result; anything but a function passes it through.
   * @param onRejected - gets the failure's value; anything but a function passes it through.
   */
  constructor(onFulfilled: unknown, onRejected: unknown) {
    this.promise = new Promise(capture);
    this.#resolve = capturedResolve;
    this.#reject = capturedReject;
    this.#onFulfilled = typeof onFulfilled === 'function' ? (onFulfilled as (value: unknown) => unknown) : undefined;
    this.#onRejected = typeof onRejected === 'function' ? (onRejected as (reason: unknown) => unknown) : undefined;
  }

  /**
   * The Deferred's outcome reached the reaction's link: its handler runs in a later microtask, or, with no
   * handler for it, the Promise settles now.
   * @param value - the result, or the failure's value.
   * @param failed - whether it is a failure.
   */
  due(value: unknown, failed: boolean): void {
    if ((failed ? this.#onRejected : this.#onFulfilled) === undefined) {
      if (failed) this.#reject(value);
      else this.#resolve(value);
      return;
    }
    this.#value = value;
    this.#failed = failed;
    due.push(this);
    if (!flushQueued) {
      flushQueued = true;
      void resolved.then(flush);
    }
  }

  /** Runs the handler and settles the Promise with what it returned (a thenable is adopted) or threw. */
  run(): void {
    const handler = (this.#failed ? this.#onRejected : this.#onFulfilled)!;
    const value = this.#value;
    this.#value = undefined;
    this.#onFulfilled = undefined;
    this.#onRejected = undefined;
    try {
      this.#resolve(handler(value));
    } catch (error) {
      this.#reject(error);
    }
  }
}
