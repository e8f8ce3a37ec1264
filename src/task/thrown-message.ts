/**
 * `thrownMessage`: what was thrown, as text for an error message, whatever it is.
 *
 * @module
 */
import { safeString } from '../safe-string.js';

/**
 * The thrown value's `message` when it has a string one, else the value as a string; never throws.
 *
 * Why: the library wraps what user code throws (a module's evaluation, a carrier's `capture`, a policy listener or
 * config getter) in its own named errors, and must not fail while describing it: reading `message` may run a getter
 * that throws, and a revoked Proxy throws from every read. It lives in `task/`, the lowest layer of its users
 * (`task`, `context`, `policy`; see eslint.config.js).
 *
 * @param thrown - anything.
 * @returns a message.
 * @example
 * ```ts
 * thrownMessage(new Error('boom')); // 'boom'
 * thrownMessage('boom'); // 'boom'
 * ```
 */
export function thrownMessage(thrown: unknown): string {
  try {
    const message = (thrown as { message?: unknown } | null | undefined)?.message;
    if (typeof message === 'string') return message;
  } catch {
    // a throwing getter or a revoked Proxy: describe the value without asking it anything
  }
  return safeString(thrown);
}
