/**
 * `ownedDeferred` / `ownerOf`, and the rule they serve: every Deferred the library makes for a thread run, a greenlet
 * call or `gatherResults` is a plain `Deferred` (its prototype is `Deferred.prototype`), with what the library needs
 * kept beside it as its owner. A subclass there would be one more hidden class at every site of the Deferred runner.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Deferred, ownedDeferred, ownerOf } from '../../src/deferred/deferred.js';
import { CancelledError } from '../../src/errors.js';
import { gatherResults } from '../../src/deferred/gather-results.js';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { whenWorkerLetsGo } from '../../src/threads/thread-task-run.js';
import * as fx from '../fixtures/thread-tasks.js';
import { failureResultOf } from '../helpers/deferred-results.js';
import { revokedProxy } from '../helpers/hostile-values.js';
import { makeLazyCalls } from '../helpers/lazy-calls.js';
import { built } from '../threads/thread-test-kit.js';

const plain = (d: Deferred<unknown>): boolean => Object.getPrototypeOf(d) === Deferred.prototype;

describe('ownedDeferred()', () => {
  it('makes a plain Deferred whose ownerOf() is the owner, and whose canceller gets that Deferred', () => {
    const owner = { cancelled: 0 };
    const d = ownedDeferred<number>(owner, (x) => {
      (ownerOf(x) as typeof owner).cancelled++;
    });
    expect(plain(d)).toBe(true);
    expect(ownerOf(d)).toBe(owner);
    d.cancel();
    expect(owner.cancelled).toBe(1);
    d.addErrback(() => undefined);
  });
});

describe('ownerOf()', () => {
  class Mine extends Deferred<number> {}
  it.each<[string, unknown]>([
    ['a Deferred made with new', new Deferred()],
    ['an instance of a subclass', new Mine()],
    ['a value that is not a Deferred', { then: () => undefined }],
    ['a Proxy of a Deferred', new Proxy(new Deferred(), {})],
    ['a revoked Proxy', revokedProxy()],
  ])('is null for %s', (_, value) => {
    expect(ownerOf(value)).toBeNull();
  });
});

describe('the Deferreds the library makes', () => {
  it('gatherResults() returns a plain Deferred', () => {
    const d = gatherResults([new Deferred<number>()]);
    expect(plain(d)).toBe(true);
  });

  it('a greenlet call (lazy and eager) is a plain Deferred', () => {
    const { hub, call, eager } = makeLazyCalls();
    const lazy = call((x: number) => x + 1, 1);
    const spawned = eager((x: number) => x + 1, 1);
    expect(plain(lazy)).toBe(true);
    expect(plain(spawned)).toBe(true);
    hub.flush();
  });

  it('a thread run is a plain Deferred, fires with the task\'s result, and is cancelled through its run', async () => {
    const pool = new ThreadPool({ maxThreads: 1 });
    try {
      const d = pool.run(built(fx.add), 40, 2);
      expect(plain(d)).toBe(true);
      expect(await d).toBe(42);
      const cancelled = pool.run(built(fx.add), 1, 2);
      cancelled.cancel();
      failureResultOf(cancelled, CancelledError); // at once: its canceller found the run (the owner) and ran it
      expect(pool.stats().cancelled).toBe(1);
      expect(whenWorkerLetsGo(new Deferred(), () => undefined)).toBe(false); // not a run's Deferred
    } finally {
      await pool.close();
    }
  });
});
