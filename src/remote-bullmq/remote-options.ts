/**
 * The checks both ends of the remote route apply to their options (`bullmqBackend` and `runRemoteWorker`), each
 * given the value read once: an option is read when the function is called, validated there, and never read again.
 *
 * Why read once: an options object may hold getters, or be changed by its owner after the call; read again after
 * an await or at connect, it would give a value nothing validated (an `onError` that is not a function thrown from
 * an ioredis event: an uncaught exception), or a different one on each side of the await.
 *
 * @module
 */
import { safeString } from '../safe-string.js';

/**
 * Checks a queue's name.
 * @param value - the `queue` option.
 * @returns the name.
 * @throws TypeError unless it is a non-empty string without ':' (BullMQ's key separator).
 */
export function queueName(value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.includes(':')) {
    throw new TypeError(`Expected \`queue\` to be a non-empty string without ':', got \`${safeString(value)}\` (${typeof value})`);
  }
  return value;
}

/**
 * Checks BullMQ's key prefix.
 * @param value - the `prefix` option (`undefined`: BullMQ's default, `'bull'`).
 * @returns the prefix.
 * @throws TypeError unless it is a non-empty string.
 */
export function keyPrefix(value: unknown): string {
  if (value === undefined) return 'bull';
  if (typeof value !== 'string' || value === '') throw new TypeError(`Expected \`prefix\` to be a non-empty string, got \`${safeString(value)}\` (${typeof value})`);
  return value;
}

/**
 * Checks a positive number (a period, a count).
 * @param name - the option's name, for the message.
 * @param value - its value, or `undefined` for `fallback`.
 * @param fallback - the default.
 * @param integer - whether it must be an integer.
 * @returns the number.
 * @throws TypeError unless it is a finite positive number (an integer when `integer`).
 */
export function positiveOption(name: string, value: unknown, fallback: number, integer: boolean): number {
  const n = value ?? fallback;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new TypeError(`Expected \`${name}\` to be a positive ${integer ? 'integer' : 'number'}, got \`${safeString(n)}\` (${typeof n})`);
  }
  return n;
}

