/**
 * Helpers the stream tests share.
 *
 * @module
 */
import type { TaskStream } from '../../src/stream/task-stream.js';

/**
 * Reads every item of `stream`, until it ends or throws.
 * @param stream - the stream.
 * @returns its items, in order.
 */
export async function drain<T>(stream: TaskStream<T, unknown>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}
