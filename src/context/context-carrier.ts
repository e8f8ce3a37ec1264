/**
 * Context carriers: how a caller's request context (an `AsyncLocalStorage` store, a trace span) crosses the thread
 * boundary (SPEC §10). Python's `asyncio.to_thread` copies the caller's context into the thread; Node has nothing,
 * so a carrier says what to copy: `capture()` runs on the dispatching side, its value travels with the task
 * (structured-cloned), and the task runs inside `restore(value, run)` on the other side. The same happens the other
 * way for `blockingCallFromThread` / `callFromThread`.
 *
 * Contract between the two sides (this file is the one registry both use):
 * - A carrier is registered at module scope of a module both the main thread and the workers import (like a task:
 *   the task's module, or one it imports), so both sides know it by name. The worker learns it when it imports the
 *   task's module, before the task runs.
 * - A name in policy `context.carry` that no carrier registered on the dispatching thread is an error of the program
 *   too (a typo, or the carrier's module not imported yet): every call that would carry context (thread and remote
 *   routes) fails at dispatch with `ContextCarrierError` naming it, unsent, rather than running without that
 *   context. The in-process routes carry nothing, so they are not affected.
 * - Captured values travel as `{ [carrierName]: value }`, in registration order; `undefined` is not sent and its
 *   `restore` is not called. With no carrier registered nothing is captured and the message is unchanged: dispatch
 *   pays one `size` check.
 * - One registry per thread, shared by every copy of this module loaded in it (a `globalThis` key).
 * - A carrier's module evaluated twice in one thread (imported under two URLs, or installed twice) registers its name
 *   again with new functions of the same source text — and, usually, a store of its own. Like a task module loaded
 *   twice, that works: the name then serves every copy — `capture` reads the first copy (in registration order) that
 *   holds a value, and each copy's `restore` runs around the task, nested, so the task sees its context whichever
 *   copy its code reads. Registering the same spec again changes nothing. A name registered with other code (or with
 *   bound or native functions, whose source text says nothing) is refused with `TypeError`: names are unique.
 * - Restores nest in registration order (the first registered is outermost). A carrier the receiving side does not
 *   know is an error of the program (its module was not imported there): the call fails with
 *   `ContextCarrierError`, it does not run without its context.
 * - A `restore` calls `run` exactly once (at once, or before the promise it returns settles): one that returns
 *   without calling it fails the call with `ContextCarrierError` (its own value is never taken for the task's
 *   result), and a second call of `run` throws `ContextCarrierError` (the task never runs twice). So does a `run`
 *   that comes after the call failed for want of it (a later tick, past the promise): the task never runs once its
 *   caller was told it did not.
 *
 * @module
 */
import { ContextCarrierError } from '../errors.js';
import { isThenable } from '../is-thenable.js';
import { thrownMessage } from '../task/thrown-message.js';
import { safeString } from '../safe-string.js';

/** How one kind of context crosses a thread boundary. */
export interface ContextCarrierSpec<V = unknown> {
  /** Reads the caller's context; runs on the dispatching side. Return a structured-cloneable value, or `undefined` to carry nothing. */
  capture: () => V | undefined;
  /** Runs `run` inside the captured context on the receiving side, returning what `run` returns. */
  restore: (value: V, run: () => unknown) => unknown;
}

/** A registered carrier (what `defineContextCarrier` returns). */
export interface ContextCarrier<V = unknown> extends ContextCarrierSpec<V> {
  /** Its name, unique in the process (the key its values travel under). */
  readonly name: string;
}

/** Captured values by carrier name, as they travel with a task or a call. */
export type CarriedContext = Readonly<Record<string, unknown>>;

/**
 * The registry lives on one `globalThis` key, so two copies of this module (the built `dist/` the worker entry
 * loads and a TypeScript source a task module imports through tsx) share it, as the worker state does.
 */
const registryKey = Symbol.for('greenreactor.contextCarriers');
const carriers: Map<string, ContextCarrier> = ((globalThis as Record<symbol, Map<string, ContextCarrier> | undefined>)[registryKey] ??=
  new Map<string, ContextCarrier>());

/**
 * The copies registered under a name evaluated more than once (see the module's contract), in registration order;
 * a name registered once has no entry, and its registry entry is its own spec's functions (the common case pays
 * nothing). On the same kind of `globalThis` key as the registry, so both copies of this module see them.
 */
const copiesKey = Symbol.for('greenreactor.contextCarrierCopies');
const copiesOf: Map<string, ContextCarrier[]> = ((globalThis as Record<symbol, Map<string, ContextCarrier[]> | undefined>)[
  copiesKey
] ??= new Map<string, ContextCarrier[]>());

/**
 * Whether `a` and `b` are the same function evaluated twice: the same source text, which says what they do (a bound
 * or native function's text is `[native code]`, which says nothing: those count as different).
 */
function sameSource(a: (...args: never[]) => unknown, b: (...args: never[]) => unknown): boolean {
  const text = Function.prototype.toString.call(a);
  return !text.endsWith('[native code] }') && text === Function.prototype.toString.call(b);
}

/**
 * A registry entry serving every copy of a carrier evaluated more than once: captures from the first copy that
 * holds a value, restores into each copy, nested in registration order (the first outermost).
 */
function servingCopies(name: string, copies: readonly ContextCarrier[]): ContextCarrier {
  return {
    name,
    capture: () => {
      for (const copy of copies) {
        const value = copy.capture();
        if (value !== undefined) return value;
      }
      return undefined;
    },
    restore: (value, run) => {
      let wrapped = run;
      for (let i = copies.length - 1; i >= 0; i--) {
        const copy = copies[i]!;
        const inner = wrapped;
        wrapped = () => copy.restore(value, inner);
      }
      return wrapped();
    },
  };
}

/**
 * Registers a context carrier (SPEC §10). Call it at module scope of a module the workers import too.
 *
 * A module evaluated twice in one thread may register its carrier again (the same source text): the name then serves
 * both copies (see the module's contract).
 *
 * @param name - a unique name.
 * @param spec - `capture` and `restore`.
 * @returns the carrier.
 * @throws TypeError when `name` is not a non-empty string, is taken by a carrier with other code, or `spec` lacks a
 *   function.
 * @example
 * ```ts
 * const requestId = new AsyncLocalStorage<string>();
 * export const requestIdCarrier = defineContextCarrier('requestId', {
 *   capture: () => requestId.getStore(),
 *   restore: (id, run) => requestId.run(id, run),
 * });
 * ```
 */
export function defineContextCarrier<V>(name: string, spec: ContextCarrierSpec<V>): ContextCarrier<V> {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`Expected the carrier's \`name\` to be a non-empty string, got \`${safeString(name)}\` (${typeof name})`);
  }
  if (typeof spec?.capture !== 'function' || typeof spec.restore !== 'function') {
    throw new TypeError(`Context carrier \`${name}\` needs \`capture\` and \`restore\` functions`);
  }
  const carrier: ContextCarrier<V> = { name, capture: spec.capture, restore: spec.restore };
  const existing = carriers.get(name);
  if (existing === undefined) {
    carriers.set(name, carrier as ContextCarrier);
    return carrier;
  }
  const copies = copiesOf.get(name) ?? [existing];
  // The same spec again (one module registering it twice): nothing changes.
  const same = copies.find((copy) => copy.capture === spec.capture && copy.restore === spec.restore);
  if (same !== undefined) return same as ContextCarrier<V>;
  const first = copies[0]!;
  if (!sameSource(first.capture, spec.capture) || !sameSource(first.restore, spec.restore)) {
    throw new TypeError(
      `A context carrier named \`${name}\` is already registered with other code; carrier names must be unique ` +
        '(only a module evaluated twice may register a name again, with the same capture and restore source)',
    );
  }
  // The same module evaluated again (see the module's contract): the name serves every copy.
  copiesOf.set(name, [...copies, carrier as ContextCarrier]);
  carriers.set(name, servingCopies(name, copiesOf.get(name)!)); // (Map.set keeps the name's place in the order)
  return carrier;
}

/**
 * Captures every registered carrier's value in the caller's context.
 *
 * @param allowed - carriers that may travel (policy `context.carry`); all when `undefined`.
 * @returns the values to send, or `undefined` when there is nothing to carry.
 * @throws ContextCarrierError when `allowed` names a carrier not registered on this thread (see the module's
 *   contract), or wrapping what a carrier's `capture` throws (the dispatch fails with it).
 */
export function captureCarriedContext(allowed?: ReadonlySet<string>): CarriedContext | undefined {
  if (allowed !== undefined) {
    for (const name of allowed) if (!carriers.has(name)) throw unknownCarry(name);
  }
  if (carriers.size === 0) return undefined;
  let carried: Record<string, unknown> | undefined;
  for (const carrier of carriers.values()) {
    if (allowed !== undefined && !allowed.has(carrier.name)) continue;
    let value: unknown;
    try {
      value = carrier.capture();
    } catch (error) {
      throw new ContextCarrierError(`Context carrier \`${carrier.name}\` failed to capture: ${thrownMessage(error)}`, { carrier: carrier.name }, { cause: error });
    }
    if (value !== undefined) (carried ??= {})[carrier.name] = value;
  }
  return carried;
}

/**
 * The error for a name in policy `context.carry` that no carrier registered on this thread.
 * @param name - the name.
 * @returns the error, naming it and the carriers that are registered.
 */
function unknownCarry(name: string): ContextCarrierError {
  const known = carriers.size === 0 ? 'none is registered' : `registered: ${[...carriers.keys()].map((n) => `\`${n}\``).join(', ')}`;
  return new ContextCarrierError(
    `Policy \`context.carry\` names context carrier \`${name}\`, which is not registered on this thread (${known}): ` +
      "define it at module scope of a module this thread imports before it dispatches; the call was not sent, it does not run without that context",
    { carrier: name },
  );
}

/**
 * Runs `run` inside the carried context: each carrier's `restore`, nested in registration order.
 *
 * @param carried - the values that travelled (or `undefined`: `run` runs as is).
 * @param run - the task or call.
 * @returns what `run` returns.
 * @throws ContextCarrierError when a carried name is not registered on this side, or a `restore` does not call `run`
 *   exactly once; what `restore` or `run` throws.
 */
export function restoreCarriedContext(carried: CarriedContext | undefined, run: () => unknown): unknown {
  if (carried === undefined) return run();
  const names = Object.keys(carried);
  for (const name of names) {
    if (!carriers.has(name)) {
      throw new ContextCarrierError(
        `Context carrier \`${name}\` is not registered on this side of the thread boundary: define it at module scope of a ` +
          "module the task's module imports, so workers register it too",
        { carrier: name },
      );
    }
  }
  let wrapped = run;
  const ordered = [...carriers.values()].filter((c) => Object.hasOwn(carried, c.name)).reverse();
  for (const carrier of ordered) {
    const inner = wrapped;
    wrapped = () => restoreOnce(carrier, carried[carrier.name], inner);
  }
  return wrapped();
}

/**
 * {@link isThenable}, where a `then` getter that throws says no: whether what a `restore` returned is its promise.
 * @param value - what a `restore` returned.
 * @returns whether it is a thenable.
 */
export function promiseLike(value: unknown): value is PromiseLike<unknown> {
  try {
    return isThenable(value);
  } catch {
    return false;
  }
}

function misuse(name: string, what: string): ContextCarrierError {
  return new ContextCarrierError(
    `Context carrier \`${name}\`: its restore ${what}; restore must call \`run\` exactly once and return what it returns`,
    { carrier: name },
  );
}

/** `carrier.restore(value, run)`, held to calling `run` exactly once (see the module's contract). */
function restoreOnce(carrier: ContextCarrier, value: unknown, run: () => unknown): unknown {
  let ran = false;
  // Set once the call failed because `run` was not called in time: a later `run` must not start the task behind
  // the failed call's back (its caller was told it did not run).
  let failed = false;
  const result = carrier.restore(value, () => {
    if (ran) throw misuse(carrier.name, 'called `run` a second time (the task runs once)');
    if (failed) throw misuse(carrier.name, 'called `run` after the call had failed for not calling it in time (the task did not run)');
    ran = true;
    return run();
  });
  if (ran) return result;
  const notRun = misuse(carrier.name, 'returned without calling `run` (the task did not run)');
  if (!promiseLike(result)) {
    failed = true;
    throw notRun;
  }
  // An asynchronous restore may call `run` later, before its promise settles.
  return Promise.resolve(result).then(
    (settled) => {
      if (ran) return settled;
      failed = true;
      throw notRun;
    },
    (error: unknown) => {
      if (!ran) failed = true;
      throw error;
    },
  );
}

/**
 * Unregisters a carrier on this thread (for benches and tests that compare dispatch with and without carriers in one
 * process; a program registers its carriers once, at module scope, and keeps them).
 *
 * @param name - the carrier's name.
 * @returns whether it was registered.
 */
export function removeContextCarrier(name: string): boolean {
  copiesOf.delete(name);
  return carriers.delete(name);
}

/**
 * The names of the registered carriers, in registration order (for `explain()` and tests).
 * @returns the names.
 */
export function contextCarrierNames(): string[] {
  return [...carriers.keys()];
}
