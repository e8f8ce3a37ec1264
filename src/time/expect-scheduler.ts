/**
 * `expectScheduler`: the check a function taking a `Scheduler` argument makes before it schedules anything.
 *
 * @module
 */
import { safeString } from '../safe-string.js';
import type { Scheduler } from './scheduler.js';

/**
 * Throw a `TypeError` naming the parameter unless `value` has the `Scheduler` methods (`now`, `callLater`).
 *
 * Without it a wrong clock fails deep inside with an engine message ("Cannot read properties of undefined (reading
 * 'callLater')") that names neither the call nor the parameter; checked first, nothing is scheduled or half done.
 *
 * @param value - what the caller passed as the scheduler.
 * @param name - the parameter's name, for the message (`clock`).
 * @returns `value`, typed.
 * @throws TypeError when `value` is not an object with `now()` and `callLater()`.
 */
export function expectScheduler(value: unknown, name: string): Scheduler {
  const scheduler = value as Partial<Scheduler> | null | undefined;
  if ((typeof value === 'object' || typeof value === 'function') && value !== null
    && typeof scheduler?.callLater === 'function' && typeof scheduler.now === 'function') {
    return value as Scheduler;
  }
  const got = typeof value === 'object' && value !== null ? 'an object without them' : `\`${safeString(value)}\``;
  throw new TypeError(`Expected \`${name}\` to be a Scheduler with now() and callLater(), got ${got} (${typeof value})`);
}
