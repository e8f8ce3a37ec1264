/**
 * The main thread's stream receivers, by stream id: where the pool hands a `StreamMessage` a worker posted on its
 * `parentPort` (SPEC §9).
 *
 * Why here: the pool (this folder) receives those messages, while the streams themselves live in `src/stream/`,
 * which builds on the thread path. A stream registers its receiver here when its task is sent and drops it when the
 * stream ends; the pool only delivers. So `src/stream/` imports `src/threads/` and never the other way round.
 *
 * @module
 */
import type { StreamMessage } from './wire.js';

/** What a live stream does with the messages its worker posts. */
export interface StreamReceiver {
  /** Takes one item, progress value, ring or port hand-over, in the order the worker posted them. */
  receive(message: StreamMessage): void;
}

const receivers = new Map<number, StreamReceiver>();

/**
 * Routes the messages of stream `id` to `receiver` from now on.
 * @param id - the stream's id (unique in the main thread).
 * @param receiver - the stream.
 */
export function registerStreamReceiver(id: number, receiver: StreamReceiver): void {
  receivers.set(id, receiver);
}

/**
 * Stops routing stream `id`: messages still on the way are ignored.
 * @param id - the stream's id.
 */
export function dropStreamReceiver(id: number): void {
  receivers.delete(id);
}

/**
 * Hands a worker's stream message to its stream; a message of a stream that ended (cancelled) is ignored.
 * @param message - an item or progress value a worker posted.
 */
export function deliverStreamMessage(message: StreamMessage): void {
  receivers.get(message.id)?.receive(message);
}
