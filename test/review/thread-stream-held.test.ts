import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { CancelledError } from '../../src/errors.js';
import { ThreadStream } from '../../src/stream/thread-stream.js';
import { StreamStats } from '../../src/stream/stream-stats.js';
import { TaskStream } from '../../src/stream/task-stream.js';
import { streamClosedWord, streamSentWord, streamTag, streamWordCount } from '../../src/threads/wire.js';
import { deliverStreamMessage } from '../../src/threads/stream-receivers.js';
import { settled } from '../threads/thread-test-kit.js';

/**
 * A thread stream whose task returned while one of its messages is still on the way: the worker wrote that it posted
 * one message, and none has arrived, so the stream holds the outcome (the reply port overtook the item).
 */
const made: ThreadStream[] = [];

function heldStream(): { stream: ThreadStream; view: TaskStream<unknown, unknown>; run: Deferred<unknown> } {
  const stream = new ThreadStream(16, new StreamStats().task('thread', { id: 'held', name: 'held' }), () => undefined);
  const words = new Int32Array(stream.request.credit, 0, streamWordCount);
  Atomics.store(words, streamSentWord, 1);
  Atomics.store(words, streamClosedWord, 1);
  const run = new Deferred<unknown>();
  stream.attach(run);
  run.callback('value'); // the outcome arrives first: held
  made.push(stream);
  return { stream, view: new TaskStream(stream.buffer), run };
}

describe('ThreadStream with its outcome held for a message still on the way', () => {
  // A stream still holding its outcome holds the process open: let every one end (a message to a stream that ended
  // is ignored), so a failing test fails instead of hanging the run.
  afterEach(() => {
    for (const stream of made.splice(0)) deliverStreamMessage({ tag: streamTag, id: stream.request.id, kind: 0, value: 'cleanup' });
  });

  it('cancel() ends the iteration with CancelledError and result errbacks CancelledError; the late item is dropped', async () => {
    const { stream, view } = heldStream();
    expect(view.result.called).toBe(false);
    view.cancel();
    const result = await settled(view.result);
    expect(result.ok ? result.value : result.error).toBeInstanceOf(CancelledError);
    deliverStreamMessage({ tag: streamTag, id: stream.request.id, kind: 0, value: 'late' });
    await expect(view[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(CancelledError);
  });

  it('result.cancel() ends the iteration with CancelledError too; the late item is dropped', async () => {
    const { stream, view } = heldStream();
    view.result.cancel();
    const result = await settled(view.result);
    expect(result.ok ? result.value : result.error).toBeInstanceOf(CancelledError);
    deliverStreamMessage({ tag: streamTag, id: stream.request.id, kind: 0, value: 'late' });
    await expect(view[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(CancelledError);
  });

  it('releases the result once the message arrives when nobody cancels', async () => {
    const { stream, view } = heldStream();
    deliverStreamMessage({ tag: streamTag, id: stream.request.id, kind: 0, value: 'item' });
    expect(await view.result).toBe('value');
    const items: unknown[] = [];
    for await (const item of view) items.push(item);
    expect(items).toEqual(['item']);
  });
});
