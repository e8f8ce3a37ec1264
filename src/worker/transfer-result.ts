/**
 * `transferResult`: move a task's result out of the worker instead of copying it.
 *
 * @module
 */
import { types } from 'node:util';
import type { MessagePort } from 'node:worker_threads';
import { movable, transferOf } from './piscina-movable.js';
import { runningTask } from './worker-state.js';

/**
 * Marks a task's return value to be transferred (moved) to the main thread rather than structured-cloned.
 *
 * Why: copying a large `ArrayBuffer` back costs as much as producing it for cheap tasks; transferring hands the
 * memory over in O(1) and leaves the worker's copy detached. Return the marked value itself from the task
 * (transfers nested inside other objects are not looked for). An item given to `emit` in a stream may be marked the
 * same way: it moves to the consumer. Wraps Piscina's `move` (its transferable protocol).
 *
 * @param value - an `ArrayBuffer`, a typed array / `DataView` (its buffer moves), or a `MessagePort`.
 * @returns the value, marked; the main thread receives the original value. Outside a thread task (in-process
 *   paths), and for a `SharedArrayBuffer` or a view of one (shared, never copied: nothing to move), the value
 *   itself, unmarked.
 * @example
 * ```ts
 * import { transferResult } from 'greenreactor/worker';
 * export const render = defineTask(import.meta.url, 'render', (w: number, h: number) =>
 *   transferResult(new Uint8Array(w * h * 4)));
 * ```
 */
export function transferResult<T extends ArrayBuffer | ArrayBufferView | MessagePort>(value: T): T {
  if (runningTask() === undefined) return value;
  const moved = transferOf(value);
  // Shared memory is never copied: the main thread receives the same `SharedArrayBuffer`. It cannot be listed to
  // move (postMessage refuses it: the reply, and a coalesced batch's held results with it, would be lost with the
  // worker), so it goes unmarked.
  if (types.isSharedArrayBuffer(moved)) return value;
  return movable(value, moved) as T;
}
