/**
 * Adversarial tests of in-process streams (`reactor.stream` on the green and inline routes): a task returning a
 * hostile object, a consumer that throws in its loop, `result.cancel()` while the task is parked on `emit`, and a
 * progress listener that unsubscribes while a value is delivered. Virtual `Clock`, the hub flushed by hand.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';
import { CancelledError } from '../../src/errors.js';
import { defineTask } from '../../src/task/task.js';
import { StreamBuffer } from '../../src/stream/stream-buffer.js';
import { emit } from '../../src/worker/index.js';
import { failureResultOf } from '../helpers/deferred-results.js';

/** An object whose `next` getter throws: what `isGenerator` reads on an inline task's result. */
function hostileNext(): object {
  return {
    get next(): unknown {
      throw new RangeError('next getter broke');
    },
  };
}

export const inlineHostile = defineTask(import.meta.url, 'inlineHostile', hostileNext, { route: 'inline' });

const seen = { emitted: 0, finallyRan: false, release: new Deferred<void>() };

export const greenEmitter = defineTask(
  import.meta.url,
  'greenEmitter',
  function* (n: number): Generator<unknown, number, unknown> {
    try {
      for (let i = 0; i < n; i++) {
        yield emit(i);
        seen.emitted = i + 1;
      }
      yield seen.release;
      return n;
    } finally {
      seen.finallyRan = true;
    }
  },
  { route: 'green', streamWindow: 2 },
);

describe('reactor.stream() in-process, adversarial', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  function make(): void {
    reactor = new Reactor({ clock: new Clock() });
    seen.emitted = 0;
    seen.finallyRan = false;
    seen.release = new Deferred<void>();
  }

  it.each([
    ['an inline Task', inlineHostile],
    ['a plain function', hostileNext],
  ])('of %s returning an object whose next getter throws: the stream fails with it, stream() does not throw', async (_name, target) => {
    make();
    let s: ReturnType<Reactor['stream']> | undefined;
    expect(() => {
      s = reactor.stream(target);
    }).not.toThrow();
    failureResultOf(s!.result, RangeError);
    await expect(s![Symbol.asyncIterator]().next()).rejects.toThrow('next getter broke');
  });

  it('a consumer that throws in its loop cancels the green task: it stops, its finally runs, result errbacks CancelledError', async () => {
    make();
    const s = reactor.stream(greenEmitter, 10);
    reactor.hub.flush();
    const consumer = (async () => {
      for await (const item of s) if (item === 1) throw new RangeError('consumer broke');
    })();
    await expect(consumer).rejects.toThrow('consumer broke');
    reactor.hub.flush();
    failureResultOf(s.result, CancelledError);
    expect(seen.finallyRan).toBe(true);
    expect(seen.emitted).toBeLessThan(10);
  });

  it('result.cancel() while the green task is parked on a full window kills it, and the iteration throws CancelledError', async () => {
    make();
    const s = reactor.stream(greenEmitter, 10);
    reactor.hub.flush();
    expect(seen.emitted).toBe(2); // the third emit parks: two unread fill the window
    s.result.cancel();
    reactor.hub.flush();
    expect(seen.finallyRan).toBe(true);
    expect(seen.emitted).toBe(2);
    failureResultOf(s.result, CancelledError);
    await expect(s[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('StreamBuffer.progress()', () => {
  it('still delivers the value to the next listener when one unsubscribes itself while it is delivered', () => {
    const buffer = new StreamBuffer({ onRead: () => undefined, cancel: () => undefined, onError: () => undefined });
    const got: unknown[] = [];
    const off = buffer.onProgress(() => off());
    buffer.onProgress((value) => got.push(value));
    buffer.progress(1);
    buffer.progress(2);
    expect(got).toEqual([1, 2]);
  });
});
