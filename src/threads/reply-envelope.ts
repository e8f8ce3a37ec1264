/**
 * Worker side: wraps a task's reply so a result marked with `transferResult` is still moved, not copied.
 *
 * Piscina transfers a handler's return value only when that value itself is marked movable. The worker entry
 * returns a `TaskReply` envelope, so when the task's own value is marked, the envelope is marked instead, carrying
 * the value's transfer list (Piscina's documented `transferableSymbol` / `valueSymbol` protocol).
 *
 * @module
 */
import { movable, transferableSymbol, valueSymbol } from './piscina-movable.js';
import type { TaskReply } from './wire.js';

/**
 * The value a task returned, unwrapped when it was marked with `transferResult`, plus what to transfer.
 * @param value - the task's return value.
 * @returns the plain value and the transfer list (undefined when nothing is moved).
 */
export function unwrapMovable(value: unknown): { value: unknown; transfer: unknown } {
  if (typeof value === 'object' && value !== null) {
    const marked = value as Record<symbol, unknown>;
    const transfer = marked[transferableSymbol];
    if (transfer !== undefined) return { value: marked[valueSymbol], transfer };
  }
  return { value, transfer: undefined };
}

/**
 * Marks `reply` so Piscina moves `transfer` along with it.
 * @param reply - the envelope to send.
 * @param transfer - a transferable or a list of them (the task value's own transfer list).
 * @returns the envelope, ready to return from the Piscina handler.
 */
export function movableReply(reply: TaskReply, transfer: unknown): unknown {
  return movable(reply, transfer);
}
