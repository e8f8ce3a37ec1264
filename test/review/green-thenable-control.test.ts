/**
 * Review attacks: hand-written thenables handed to the green path (returned by a greenlet function, yielded by a
 * generator greenlet, wrapped by `withTimeout`) settle with the value `await` would give: a thenable whose value is
 * a thenable is followed, a thenable that fulfils with itself fails with a `TypeError`, and only the first of its
 * calls counts.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Deferred } from '../../src/deferred/deferred.js';
import type { Failure } from '../../src/deferred/failure.js';
import { withTimeout } from '../../src/green/with-timeout.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';
import { settleHub } from '../helpers/settle-hub.js';

afterEach(async () => {
  await nextTurn();
});

/** A thenable that fulfils with `value` at once (synchronously, in its `then`). */
function thenableOf(value: unknown): PromiseLike<unknown> {
  return {
    then(onFulfilled?: ((v: unknown) => unknown) | null) {
      onFulfilled?.(value);
      return Promise.resolve();
    },
  } as PromiseLike<unknown>;
}

/** @returns `{ value }` or `{ error }`: how `d` fired (it must have). */
function outcomeOf(d: Deferred<unknown>): { value: unknown } | { error: unknown } {
  let out: { value: unknown } | { error: unknown } | null = null;
  d.addCallbacks(
    (value: unknown) => {
      out = { value };
    },
    (f: Failure) => {
      out = { error: f.value };
    },
  );
  expect(out).not.toBeNull();
  return out!;
}

describe('nested thenables on the green path', () => {
  it('a plain greenlet function returning a thenable of a thenable finishes with the inner value', async () => {
    const vh = makeVirtualHub();
    const g = vh.hub.spawn(() => thenableOf(thenableOf(thenableOf(5))));
    await settleHub(vh.hub);
    expect(g.successful()).toBe(true);
    expect(g.value).toBe(5);
  });

  it('a generator greenlet yielding a thenable of a thenable is sent the inner value', async () => {
    const vh = makeVirtualHub();
    const got: unknown[] = [];
    const g = vh.hub.spawn(function* (): Generator<unknown, void, unknown> {
      got.push(yield thenableOf(thenableOf('inner')));
    });
    await settleHub(vh.hub);
    expect(g.successful()).toBe(true);
    expect(got).toEqual(['inner']);
  });

  it('withTimeout of a thenable of a thenable fires with the inner value', async () => {
    const vh = makeVirtualHub();
    const d = withTimeout(thenableOf(thenableOf(7)), 1000, vh.hub);
    await settleHub(vh.hub);
    expect(outcomeOf(d)).toEqual({ value: 7 });
  });

  it('a thenable that fulfils with itself fails the greenlet with a TypeError, as a Promise adopting it would', async () => {
    const vh = makeVirtualHub();
    const loop: PromiseLike<unknown> = {
      then(onFulfilled?: ((v: unknown) => unknown) | null) {
        onFulfilled?.(loop);
        return Promise.resolve();
      },
    } as PromiseLike<unknown>;
    const g = vh.hub.spawn(() => loop);
    const d = g.get();
    await settleHub(vh.hub);
    const out = outcomeOf(d);
    expect('error' in out && out.error instanceof TypeError).toBe(true);
  });

  it('only the first call of a thenable that fulfils with a thenable and then rejects counts', async () => {
    const vh = makeVirtualHub();
    const twoFaced = {
      then(onFulfilled?: ((v: unknown) => unknown) | null, onRejected?: ((e: unknown) => unknown) | null) {
        onFulfilled?.(thenableOf('first'));
        onRejected?.(new Error('second'));
        return Promise.resolve();
      },
    } as PromiseLike<unknown>;
    const g = vh.hub.spawn(() => twoFaced);
    await settleHub(vh.hub);
    expect(g.successful()).toBe(true);
    expect(g.value).toBe('first');
  });

  it('a nested thenable whose then getter throws fails the greenlet with that error', async () => {
    const vh = makeVirtualHub();
    const boom = new Error('then getter');
    const hostile = Object.defineProperty({}, 'then', {
      get() {
        throw boom;
      },
    });
    const g = vh.hub.spawn(() => thenableOf(hostile));
    const d = g.get();
    await settleHub(vh.hub);
    expect(outcomeOf(d)).toEqual({ error: boom });
  });
});
