/**
 * How the worker entry repoints the `signal` export of every loaded copy of `greenreactor/worker`.
 *
 * `signal` is a live binding (`export let`); only code inside its own module can reassign it. So each copy of
 * `cancellation.ts` registers a setter here (on a `Symbol.for` key of `globalThis`, shared by all copies), and
 * the worker entry calls them as tasks start and end. The entry imports only this module, so when no task module
 * imports `greenreactor/worker`, no setter exists and no per-task `AbortSignal` is made at all.
 *
 * @module
 */

/** Repoints one copy's `signal`; `undefined` means "no task": that copy's never-aborting signal. */
export type SignalBinding = (signal: AbortSignal | undefined) => void;

const bindingsKey = Symbol.for('greenreactor.worker.signalBindings');

function bindings(): SignalBinding[] | undefined {
  return (globalThis as Record<symbol, SignalBinding[] | undefined>)[bindingsKey];
}

/**
 * Registers a copy's setter (called once by each copy of `cancellation.ts`, in a worker only).
 * @param bind - the setter.
 */
export function registerSignalBinding(bind: SignalBinding): void {
  const holder = globalThis as Record<symbol, SignalBinding[] | undefined>;
  (holder[bindingsKey] ??= []).push(bind);
}

/**
 * Whether any copy of `greenreactor/worker` is loaded in this thread (so a task's signal can be read at all).
 * @returns true once a copy registered.
 */
export function hasSignalBindings(): boolean {
  return bindings() !== undefined;
}

/**
 * Points every loaded copy's `signal` at `signal`.
 * @param signal - the running task's signal, or `undefined` when no task runs.
 */
export function publishSignal(signal: AbortSignal | undefined): void {
  const all = bindings();
  if (all !== undefined) for (const bind of all) bind(signal);
}
