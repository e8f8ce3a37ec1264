/**
 * `targetName`: the name the library files a dispatched Task or plain function under.
 *
 * @module
 */
import { functionName } from '../function-name.js';
import { isTask, type Task } from './task.js';

/**
 * A Task's name, or a plain function's own `name` (`<anonymous>` when it has none, or when reading it throws).
 *
 * Why one definition: this name keys a plain function's step statistics, what `auto` learns of it, the policy
 * rules' `match.task` and every message about it, so the hub, the policy, the bulkheads and the streams must agree
 * on it; and reading `name` runs user code (a getter, a Proxy's trap) that must not turn a dispatch into a throw
 * (SPEC §3: no dispatch method throws).
 * @param target - what was dispatched.
 * @returns its name.
 * @example
 * ```ts
 * targetName(() => 1); // '<anonymous>'
 * targetName(function resize() {}); // 'resize'
 * ```
 */
export function targetName(target: Task<any, any> | ((...args: any[]) => unknown)): string {
  return isTask(target) ? target.name : functionName(target, '<anonymous>');
}
