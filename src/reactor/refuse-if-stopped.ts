/**
 * `refuseIfStopped`: the "accepting work" gate every dispatch method opens with.
 *
 * @module
 */
import { Deferred } from '../deferred/deferred.js';
import { ReactorStoppedError } from '../errors.js';
import type { ReactorState } from './reactor-state.js';

/**
 * Refuse work once a reactor's `stop()` has begun, through a Deferred rather than a throw.
 *
 * Dispatch methods never throw (SPEC §3): a stopping reactor reports `ReactorStoppedError` through the
 * Deferred it returns. Kept apart from the `Reactor` class so every path applies the same rule and message.
 *
 * @param state - the reactor's current state (`this.#state` inside `Reactor`).
 * @param method - the refusing method's name, for the message (`'deferToThread'`).
 * @returns a Deferred already failed with `ReactorStoppedError` when `state` is `'stopping'` or `'stopped'`;
 *   `undefined` when work is accepted.
 * @example
 * ```ts
 * // inside Reactor:
 * deferToThread<R>(task: Task<unknown[], R>, ...args: unknown[]): Deferred<R> {
 *   const refused = refuseIfStopped<R>(this.#state, 'deferToThread');
 *   if (refused !== undefined) return refused;
 *   // validate → delegate
 * }
 * ```
 */
export function refuseIfStopped<R>(state: ReactorState, method: string): Deferred<R> | undefined {
  if (state === 'idle' || state === 'running') {
    return undefined;
  }
  const refused = new Deferred<R>();
  refused.errback(new ReactorStoppedError(`reactor.${method}() refused: the reactor is ${state}`));
  return refused;
}
