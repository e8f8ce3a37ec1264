/**
 * `readTaskOptions`: a task's options, read once and checked — the options a `Task` keeps.
 *
 * Why read once: `defineTask` and `taskFrom` check each option, and the pool, the policy and the hub read
 * `task.options` later. Read twice (once to check, once to copy), a getter could hand over one value to the check and
 * another to the task, and an inherited option was checked but not kept. Here each known option is read exactly once,
 * own or inherited, and the task keeps exactly the values checked; an `options` that is not an object, or whose reading
 * throws (a getter, a revoked Proxy), is a `TypeError` naming the task.
 *
 * @module
 */
import { durationMsRange, expectInRange, heldCountRange, retryCountRange, type OptionRange } from '../option-ranges.js';
import { safeString } from '../safe-string.js';
import { firstUnknownKey, unknownOptionMessage } from '../unknown-option.js';
import type { Kind, Route, TaskOptions } from './task.js';
import { thrownMessage } from './thrown-message.js';

/** The kinds a task may declare, for validation and documentation. */
export const taskKinds: readonly Kind[] = ['cpu', 'blocking', 'io', 'cooperative'];

/** The routes a task or rule may name. */
export const routes: readonly Route[] = ['thread', 'green', 'inline', 'remote', 'auto'];

/** Every option a task has; another own key of an options object is refused (a typo, see `readTaskOptions`). */
const optionKeys = ['kind', 'route', 'timeoutMs', 'retries', 'transfer', 'streamWindow'] as const;

/**
 * Reads and checks a task's options.
 * @param options - what the caller passed (`undefined`: none).
 * @param name - the task's name, for messages.
 * @returns the options read (only those set), frozen.
 * @throws TypeError when `options` is not an object, reading it throws, it has an own key that is no option (a typo
 *   such as `timeoutMS`: the message names the option it probably meant), or an option is malformed.
 */
export function readTaskOptions<Args extends unknown[]>(options: unknown, name: string): Readonly<TaskOptions<Args>> {
  if (options === undefined) return noOptions;
  if (typeof options !== 'object' || options === null) {
    const type = options === null ? 'null' : typeof options;
    throw new TypeError(`Expected \`options\` of task \`${name}\` to be an object, got \`${safeString(options)}\` (${type})`);
  }
  const read: Record<string, unknown> = {};
  let array: boolean;
  let unknown: string | undefined;
  try {
    array = Array.isArray(options); // in the try: a revoked Proxy throws here too
    for (const key of optionKeys) {
      const value = (options as Record<string, unknown>)[key];
      if (value !== undefined) read[key] = value;
    }
    // An own key that is no option is a typo (`timeoutMS`) that would otherwise do nothing: refused, as Policy.load
    // refuses an unknown key of a config. Inherited keys are not looked at (a class's methods, say).
    unknown = firstUnknownKey(options, optionKeys);
  } catch (error) {
    throw new TypeError(`Reading the options of task \`${name}\` threw: ${thrownMessage(error)}`, { cause: error });
  }
  if (array) throw new TypeError(`Expected \`options\` of task \`${name}\` to be an object, got an array`);
  if (unknown !== undefined) throw new TypeError(unknownOptionMessage(unknown, optionKeys, `task \`${name}\``, 'a task has'));
  validateOptions(read, name);
  return Object.freeze(read);
}

const noOptions: Readonly<TaskOptions<any[]>> = Object.freeze({});

/** Refuses a numeric option set outside its range (option-ranges.ts: the policy schema reads the same ranges). */
function checkRange(option: string, value: unknown, range: OptionRange, name: string): void {
  if (value === undefined) return;
  expectInRange(`\`${option}\` of task \`${name}\``, value, range);
}

function validateOptions(options: TaskOptions<any[]>, name: string): void {
  const { kind, route, timeoutMs, retries, transfer, streamWindow } = options;
  checkRange('streamWindow', streamWindow, heldCountRange, name);
  if (kind !== undefined && !taskKinds.includes(kind)) {
    throw new TypeError(`Expected \`kind\` of task \`${name}\` to be one of ${taskKinds.join(', ')}, got \`${safeString(kind)}\``);
  }
  if (route !== undefined && !routes.includes(route)) {
    throw new TypeError(`Expected \`route\` of task \`${name}\` to be one of ${routes.join(', ')}, got \`${safeString(route)}\``);
  }
  checkRange('timeoutMs', timeoutMs, durationMsRange, name);
  checkRange('retries', retries, retryCountRange, name);
  if (transfer !== undefined && typeof transfer !== 'function') {
    throw new TypeError(`Expected \`transfer\` of task \`${name}\` to be a function, got ${typeof transfer}`);
  }
  if (transfer !== undefined && retries !== undefined && retries > 0) {
    // A retry would post again the buffers the first attempt already moved (detached): refuse the pair up front.
    throw new TypeError(
      `Task \`${name}\` cannot have both \`retries\` and \`transfer\`: a buffer moved to the worker that crashed cannot be ` +
        'sent again. Drop `transfer` (the arguments are then copied, and a retry can resend them) or set `retries` to 0',
    );
  }
}

