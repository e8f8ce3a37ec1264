import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { GreenletExit, ReactorStoppedError } from '../../src/errors.js';
import type { StopOptions } from '../../src/reactor/stop-options.js';
import type { Deferred } from '../../src/deferred/deferred.js';
import * as tx from '../fixtures/thread-tasks.js';
import * as fx from '../fixtures/stream-tasks.js';
import { built, changed, countFirings, gate, reaches, settled } from '../threads/thread-test-kit.js';

describe('reactor.stop() with everything in flight on real workers', () => {
  it('fires every Deferred once and resolves: a deaf running call, a stream parked in emit, 50 calls queued for a worker', async () => {
    const reactor = new Reactor({ policy: { threads: { maxThreads: 2, cancelGraceMs: 50 } } });
    const spin = gate(2);
    const deaf = reactor.deferToThread(built(tx.spinForever), spin);
    await changed(spin);
    const cells = gate(2);
    const stream = reactor.stream(built(fx.countTo), 100, cells);
    await reaches(cells, 1, 5); // both workers are busy: the stream's task is parked in emit #5
    const queued: Array<Deferred<unknown>> = Array.from({ length: 50 }, (_, i) => reactor.deferToThread(built(tx.add), i, 1));
    const all = [deaf, stream.result, ...queued] as Array<Deferred<unknown>>;
    const outcomes = Promise.all(all.map((d) => settled(d)));
    const firings = all.map((d) => countFirings(d)); // after settled(): it consumes failures
    await reactor.stop({ graceMs: 50 });
    const settledAll = await outcomes;
    expect(firings.every((f) => f.count === 1)).toBe(true);
    expect(settledAll.every((o) => !o.ok && o.error instanceof ReactorStoppedError)).toBe(true);
    expect(reactor.stats().threads.threads).toBe(0);
  });
});

describe('reactor.stop() given options it cannot use', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it.each<[string, () => unknown, new (...a: any[]) => Error]>([
    ['graceMs Infinity', () => ({ graceMs: Infinity }), RangeError],
    ['graceMs -Infinity', () => ({ graceMs: -Infinity }), RangeError],
    ['null', () => null, TypeError],
    ['a string', () => 'soon', TypeError],
    ['a graceMs getter that throws', () => ({ get graceMs(): never { throw new Error('getter threw'); } }), TypeError],
    ['a graceMs whose toString throws', () => ({ graceMs: { toString: (): never => { throw new Error('toString threw'); } } }), RangeError],
    ['a misspelt graceMs (grace)', () => ({ grace: 0 }), TypeError],
  ])('%s: rejects (never throws) with a named error and does not start stopping; a later stop() closes everything', async (_what, options, type) => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1, cancelGraceMs: 50 } } });
    const spin = gate(2);
    const running = reactor.deferToThread(built(tx.spinForever), spin);
    await changed(spin); // a task deaf to its signal holds the worker
    const greenlet = reactor.hub.spawn(function* () {
      for (;;) yield reactor.hub.sleep(10);
    });
    let refused: Promise<void> | undefined;
    expect(() => {
      refused = reactor.stop(options() as StopOptions);
    }).not.toThrow();
    await expect(refused).rejects.toThrow(type);
    expect(reactor.state).toBe('idle'); // it did not start stopping: it still takes work
    expect(greenlet.dead).toBe(false);
    const outcome = settled(running);
    await reactor.stop({ graceMs: 0 });
    expect(greenlet.dead).toBe(true);
    expect(greenlet.value).toBeInstanceOf(GreenletExit);
    expect(await outcome).toMatchObject({ ok: false, error: expect.any(ReactorStoppedError) });
    expect(reactor.threadPool.state).toBe('closed');
  });
});
