import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { CancelledError, WorkerCrashedError } from '../../src/errors.js';
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

describe('ThreadStream whose worker died while its items were on the way', () => {
  afterEach(() => {
    for (const stream of made.splice(0)) deliverStreamMessage({ tag: streamTag, id: stream.request.id, kind: 0, value: 'cleanup' });
  });

  /** The worker posted two items, then died: the crash (Piscina's reply) arrives before either item. */
  function crashedFirst(): { stream: ThreadStream; view: TaskStream<unknown, unknown>; crash: WorkerCrashedError } {
    const stream = new ThreadStream(16, new StreamStats().task('thread', { id: 'crashed', name: 'crashed' }), () => undefined);
    const words = new Int32Array(stream.request.credit, 0, streamWordCount);
    Atomics.store(words, streamSentWord, 2); // counted as posted; never closed (the task did not end)
    const run = new Deferred<unknown>();
    stream.attach(run);
    const crash = new WorkerCrashedError('the worker died');
    run.errback(crash);
    made.push(stream);
    return { stream, view: new TaskStream(stream.buffer), crash };
  }

  it('holds the crash until the items posted before it arrived, then yields them and throws the crash', async () => {
    const { stream, view, crash } = crashedFirst();
    expect(view.result.called).toBe(false);
    deliverStreamMessage({ tag: streamTag, id: stream.request.id, kind: 0, value: 'a' });
    deliverStreamMessage({ tag: streamTag, id: stream.request.id, kind: 0, value: 'b' });
    const items: unknown[] = [];
    let thrown: unknown;
    try {
      for await (const item of view) items.push(item);
    } catch (error) {
      thrown = error;
    }
    expect(items).toEqual(['a', 'b']);
    expect(thrown).toBe(crash);
    const result = await settled(view.result);
    expect(result.ok ? result.value : result.error).toBe(crash);
  });

  it('cancel() while the crash is held ends the stream with CancelledError', async () => {
    const { stream, view } = crashedFirst();
    view.cancel();
    const result = await settled(view.result);
    expect(result.ok ? result.value : result.error).toBeInstanceOf(CancelledError);
    deliverStreamMessage({ tag: streamTag, id: stream.request.id, kind: 0, value: 'late' });
    await expect(view[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(CancelledError);
  });
});
