/**
 * The user-code gate: a one-shot hook run just before the library calls code it does not own.
 *
 * Contract (shared state between the files below, all in this package):
 * - Who arms it: the hub (`src/green/hub.ts`), when a greenlet dies in its own step with links to notify, with a
 *   function that ends the step's timing there (`StepTimer.died`). It disarms it when the step returns.
 * - Who fires it: `Deferred`'s runner before a handler that is not a library handler (see {@link markLibraryHandler}),
 *   `Greenlet`'s death notification before a link callback given to `link`/`linkValue`/`linkException`, and the hub
 *   before it emits `'error'`. Firing clears it, so the hook runs at most once per arming.
 * - Library code may run before it fires (a `gatherResults` member's handler, a `Promise` resolver, a pool's slot
 *   release): such code is bounded, and it stays part of the step.
 *
 * Why: SPEC §6 notifies links synchronously at death, so a caller's `addCallback` chain runs inside the dying step;
 * the hub must time the step up to that point and not charge the chain to the greenlet's task. A clock read at
 * every death costs ~50 ns a call (docs/design.md, "A death's callbacks"); this gate reads it only when code that
 * is not the library's is about to run, which a `deferToGreenlet` joined with `gatherResults` or `Promise.all`, or
 * a `joinAll`, does only once per batch.
 *
 * @module
 */

/** The armed hook, or null. Read by the runners on their hot paths (a module binding: one load). */
export let armedUserCodeGate: (() => void) | null = null;

/** The property a library handler carries (see {@link markLibraryHandler}). */
const libraryHandler = Symbol('greenreactor.libraryHandler');

/**
 * Arm the gate (replacing a hook not fired yet).
 * @param hook - runs once, just before the next code the library does not own.
 */
export function armUserCodeGate(hook: () => void): void {
  armedUserCodeGate = hook;
}

/**
 * Disarm the gate if `hook` is still the armed one (a hook fired or replaced meanwhile is left alone).
 * @param hook - what {@link armUserCodeGate} was given.
 */
export function disarmUserCodeGate(hook: () => void): void {
  if (armedUserCodeGate === hook) armedUserCodeGate = null;
}

/** Code the library does not own runs next: run and clear the armed hook, if any. */
export function passUserCodeGate(): void {
  const hook = armedUserCodeGate;
  if (hook === null) return;
  armedUserCodeGate = null;
  hook();
}

/**
 * Mark a Deferred handler as the library's own, of bounded cost: the runner calls it without passing the gate.
 * Only for handlers that run no caller code themselves (code they trigger in turn passes the gate where it runs).
 * @param fn - the handler.
 * @returns `fn`.
 */
export function markLibraryHandler<F extends (...args: any[]) => unknown>(fn: F): F {
  (fn as unknown as Record<symbol, boolean>)[libraryHandler] = true;
  return fn;
}

/**
 * @param fn - a handler about to be called.
 * @returns true when it is a library handler (see {@link markLibraryHandler}).
 */
export function isLibraryHandler(fn: unknown): boolean {
  return (fn as Record<symbol, unknown>)[libraryHandler] === true;
}
