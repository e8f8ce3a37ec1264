/**
 * `GreenletIdentity`: which async greenlet a Promise continuation belongs to, followed with V8's promise hooks.
 *
 * @module
 */
import { promiseHooks } from 'node:v8';

/**
 * The owner of the code running now, carried from a Promise's creation to its reactions.
 *
 * Why not an `AsyncLocalStorage`: on Node 20 an enabled storage turns on `async_hooks` for the whole process — a
 * JavaScript init hook for every Promise *and* every native async resource (each `fs` request, timer, socket
 * write), and before/after hooks around every callback. An async greenlet that reads files paid for all of it on
 * every internal step of `fs.promises`. What the hub needs is narrower: the greenlet whose *Promise continuations*
 * run (after `await`, `then`), so that `getCurrent()` and hub waits know it after foreign awaits (SPEC §6.1). V8's
 * promise hooks give exactly that: a Promise made while an owner is current remembers it (`init`); its reaction jobs
 * — the code after an `await`, a `then` callback — run with it current (`before`/`after`). Native resources are not
 * touched. Measured on the workloads' cooperative I/O task (a 1 ms timer, two 4 KiB `fs.promises` reads), the
 * storage added ~30 µs of CPU per call, these hooks ~10 µs (see docs/design.md).
 *
 * Semantics, the same as an `AsyncLocalStorage` for Promises: a Promise records the owner current when it is made
 * (so an `await` carries the owner of the code that awaits, whoever settles what it awaits), and a reaction job
 * runs with its Promise's owner (none when it was made outside). Callbacks of non-Promise APIs (`setTimeout(cb)`,
 * an emitter's listener) run with no owner; their Promises' awaiters keep theirs.
 *
 * The hooks cost every Promise in the process a call while on, so they are on only between {@link enable} and
 * {@link disable} (the hub keeps them on while it has async greenlets alive).
 *
 * @typeParam T - the owner type (the hub's greenlets).
 */
export class GreenletIdentity<T extends object> {
  /** Where a Promise keeps its owner: one symbol per identity, so two hubs never read each other's. */
  readonly #key = Symbol('greenreactor.greenletOwner');
  #current: T | undefined = undefined;
  readonly #outer: Array<T | undefined> = [];
  #stop: (() => void) | null = null;
  readonly #onSwitch: ((on: boolean) => void) | null;

  /** @param onSwitch - told when the hooks go on (`true`) and off (`false`). */
  constructor(onSwitch?: (on: boolean) => void) {
    this.#onSwitch = onSwitch ?? null;
  }

  /** @returns the owner of the code running now, or undefined. */
  get(): T | undefined {
    return this.#current;
  }

  /** True while the promise hooks are on. */
  get enabled(): boolean {
    return this.#stop !== null;
  }

  /**
   * Call `fn(...args)` with `owner` current: every Promise it makes (and every Promise made in their reactions)
   * runs its reactions with `owner` current. Turns the hooks on.
   *
   * @param owner - the owner, or undefined for none (code that must not be taken for the caller's).
   * @param fn - the function.
   * @param args - its arguments.
   * @returns what `fn` returns.
   * @throws what `fn` throws.
   */
  run<A extends unknown[], R>(owner: T | undefined, fn: (...args: A) => R, args: A): R {
    if (this.#stop === null) this.enable();
    const outer = this.#current;
    this.#current = owner;
    try {
      return fn(...args);
    } finally {
      this.#current = outer;
    }
  }

  /**
   * Make `owner` current (or none) until {@link restore}: for a synchronous stretch of code that must run as
   * `owner`'s (or as nobody's), without a closure.
   *
   * @param owner - the owner, or undefined.
   * @returns the owner current before, for {@link restore}.
   */
  enter(owner: T | undefined): T | undefined {
    const outer = this.#current;
    this.#current = owner;
    return outer;
  }

  /** Undo {@link enter}. @param outer - what `enter` returned. */
  restore(outer: T | undefined): void {
    this.#current = outer;
  }

  /** Turn the promise hooks on (no effect when on). */
  enable(): void {
    if (this.#stop !== null) return;
    const key = this.#key;
    const outerStack = this.#outer;
    const stop = promiseHooks.createHook({
      init: (promise: Promise<unknown>) => {
        const owner = this.#current;
        if (owner !== undefined) (promise as unknown as Record<symbol, unknown>)[key] = owner;
      },
      before: (promise: Promise<unknown>) => {
        outerStack.push(this.#current);
        this.#current = (promise as unknown as Record<symbol, T | undefined>)[key];
      },
      after: () => {
        // A job whose `before` ran with the hooks off (they were turned on inside it) pops nothing: no owner.
        this.#current = outerStack.pop();
      },
    });
    this.#stop = () => void stop();
    this.#onSwitch?.(true);
  }

  /**
   * Turn the promise hooks off. Reactions of Promises made meanwhile no longer carry their owner, so the hub does
   * this only with no owner alive; a job running now finishes as nobody's.
   */
  disable(): void {
    const stop = this.#stop;
    if (stop === null) return;
    this.#stop = null;
    stop();
    this.#outer.length = 0;
    this.#current = undefined;
    this.#onSwitch?.(false);
  }
}
