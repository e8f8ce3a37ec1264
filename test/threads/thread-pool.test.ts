import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Piscina } from 'piscina';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { taskFrom } from '../../src/task/task.js';
import { Clock } from '../../src/time/clock.js';
import type { Deferred } from '../../src/deferred/deferred.js';
import * as fx from '../fixtures/thread-tasks.js';
import { behindBlocker, built, changed, failureOf, gate, open, settled } from './thread-test-kit.js';
import { nextTurn } from '../helpers/next-turn.js';

const fixtureUrl = new URL('../../dist/test/fixtures/thread-tasks.js', import.meta.url);

describe('ThreadPool', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  describe('.run()', () => {
    it('fires with the value a plain task returns', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      expect(await pool.run(built(fx.add), 2, 3)).toBe(5);
    });

    it('awaits an async task', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      expect(await pool.run(built(fx.asyncDouble), 21)).toBe(42);
    });

    it('runs a generator task to completion, awaiting yielded Promises', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      expect(await pool.run(built(fx.generatorSum), 3)).toBe(1 + 2 + 3 + 100);
    });

    it('runs a plain function export wrapped with taskFrom', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      expect(await pool.run(taskFrom<[number], number>(fixtureUrl, 'plainTriple'), 5)).toBe(15);
    });

    it('imports a task module once per worker and reuses it', async () => {
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1 });
      const count = built(fx.countRuns);
      expect(await pool.run(count)).toBe(1);
      expect(await pool.run(count)).toBe(2);
    });

    it('runs the export each call names when one worker alternates between tasks of one module', async () => {
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1 });
      const results = [];
      for (let i = 0; i < 3; i++) {
        results.push(await pool.run(built(fx.add), i, 10), await pool.run(built(fx.asyncDouble), i), await pool.run(taskFrom<[number], number>(fixtureUrl, 'plainTriple'), i));
      }
      expect(results).toEqual([10, 0, 0, 11, 2, 3, 12, 4, 6]);
    });

    it('shares a SharedArrayBuffer argument instead of copying it', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const cells = gate(4);
      expect(await pool.run(built(fx.markRan), cells, 2)).toBe(2);
      expect(cells[2]).toBe(1);
    });

    it('transfers the arguments the task option `transfer` names', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
      const d = pool.run(built(fx.sumBytes), buffer);
      expect(await d).toBe(10);
      expect(buffer.byteLength).toBe(0); // moved to the worker, detached here
    });

    describe('large buffer arguments (copied and moved, not cloned)', () => {
      const mib = 1024 * 1024;
      // The worker's view of `describeViews`, computed here the same way.
      const expected = (view: ArrayBufferView): Record<string, unknown> => {
        const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
        let sum = 0;
        for (let i = 0; i < bytes.length; i += 997) sum = (sum + bytes[i]! * (i + 1)) % 1_000_003;
        return { kind: Object.prototype.toString.call(view), byteOffset: view.byteOffset, byteLength: view.byteLength, bufferBytes: view.buffer.byteLength, sum };
      };

      it('arrives as a clone would (kind, offset, lengths, bytes) and leaves the caller its buffer', async () => {
        pool = new ThreadPool({ maxThreads: 1 });
        const buffer = new ArrayBuffer(mib + 64);
        new Uint8Array(buffer).forEach((_, i, a) => (a[i] = (i * 31) & 0xff));
        const view = new Uint16Array(buffer, 16, mib / 2);
        const seen = (await pool.run(built(fx.describeViews), view));
        expect(seen).toEqual({ ...expected(view), shared: undefined });
        expect(buffer.byteLength).toBe(mib + 64); // not detached: the worker got a copy
        expect(new Uint8Array(buffer)[1000]).toBe((1000 * 31) & 0xff);
      });

      it('keeps two arguments over one buffer on one buffer, and a Buffer arrives as a Uint8Array', async () => {
        pool = new ThreadPool({ maxThreads: 1 });
        const bytes = Buffer.alloc(mib, 5);
        const seen = (await pool.run(built(fx.describeViews), bytes, new Uint8Array(bytes.buffer, bytes.byteOffset, 10)));
        expect(seen).toEqual({ ...expected(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)), shared: true });
        expect(bytes.byteLength).toBe(mib);
      });

      it('gives Piscina a copy of a buffer of 512 KiB or more to move, and a smaller one to clone', async () => {
        pool = new ThreadPool({ maxThreads: 1 });
        const run = jest.spyOn(Piscina.prototype, 'run');
        try {
          const large = new Uint8Array(512 * 1024).fill(7);
          const small = new Uint8Array(512 * 1024 - 1).fill(7);
          expect(await pool.run(built(fx.describeViews), large)).toEqual({ ...expected(large), shared: undefined });
          expect(await pool.run(built(fx.describeViews), small)).toEqual({ ...expected(small), shared: undefined });
          const calls = run.mock.calls as unknown as Array<[{ args: unknown[] }, { transferList?: ArrayBuffer[] } | undefined]>;
          expect(calls).toHaveLength(2);
          const [largeRequest, largeOptions] = calls[0]!;
          const [smallRequest, smallOptions] = calls[1]!;
          const moved = largeOptions?.transferList;
          expect(moved).toHaveLength(1);
          expect(moved![0]).not.toBe(large.buffer);
          expect((largeRequest.args[0] as Uint8Array).buffer).toBe(moved![0]); // the request carries the copy it moves
          expect(moved![0]!.byteLength).toBe(0); // moved: detached here once posted
          expect(large.byteLength).toBe(512 * 1024); // the caller's is left alone
          expect(smallOptions?.transferList).toBeUndefined();
          expect(smallRequest.args[0]).toBe(small); // cloned as it is
        } finally {
          run.mockRestore();
        }
      });

      it('is copied for the call next in line while the worker is busy, once per call', async () => {
        pool = new ThreadPool({ minThreads: 1, maxThreads: 1 });
        const copies = jest.spyOn(Buffer, 'allocUnsafeSlow');
        try {
          const views = [1, 2].map((k) => new Uint8Array(mib).fill(k));
          const { queued, release } = await behindBlocker(pool, () => views.map((view) => pool.run(built(fx.describeViews), view)));
          expect(copies).toHaveBeenCalledTimes(1); // the first in line, ahead of its send; the second waits its turn
          await release();
          expect(await Promise.all(queued)).toEqual(views.map((view) => ({ ...expected(view), shared: undefined })));
          expect(copies).toHaveBeenCalledTimes(2); // the copy made ahead was the one sent
        } finally {
          copies.mockRestore();
        }
      });

      it('drops the copy made ahead for a call cancelled while next in line', async () => {
        const gc = (globalThis as { gc?: () => void }).gc;
        expect(gc).toBeDefined(); // the suite runs with --expose-gc
        pool = new ThreadPool({ minThreads: 1, maxThreads: 1 });
        const allocate = Buffer.allocUnsafeSlow.bind(Buffer);
        let copy: WeakRef<ArrayBuffer> | undefined;
        const copies = jest.spyOn(Buffer, 'allocUnsafeSlow').mockImplementation((size: number) => {
          const bytes = allocate(size);
          copy = new WeakRef(bytes.buffer);
          return bytes;
        });
        try {
          const { queued, release } = await behindBlocker(pool, () => pool.run(built(fx.describeViews), new Uint8Array(mib)));
          copies.mockClear(); // the spy's own record of the copy
          expect(copy?.deref()).toBeDefined();
          queued.cancel();
          expect((await failureOf(queued)).name).toBe('CancelledError');
          await nextTurn(); // a WeakRef keeps its target until the job ends
          gc!();
          expect(copy?.deref()).toBeUndefined(); // while the worker is still busy: nothing holds it
          await release();
        } finally {
          copies.mockRestore();
        }
      });

      it("lets the worker free the moved copies in young-generation collections, not at the external-memory limit", async () => {
        pool = new ThreadPool({ minThreads: 1, maxThreads: 1 });
        const heap = taskFrom<[], { external_memory: number }>('node:v8', 'getHeapStatistics');
        const view = new Uint8Array(mib).fill(1);
        let most = 0;
        for (let i = 0; i < 96; i++) {
          await pool.run(built(fx.describeViews), view);
          most = Math.max(most, (await pool.run(heap)).external_memory);
        }
        // V8 scavenges once the young generation's buffers reach twice its semi-space (32 MiB here), but checks only
        // when the worker allocates a buffer itself; without that check they pile up to the external-memory limit
        // (64 MiB) and a full mark-compact frees them.
        expect(most).toBeLessThan(48 * mib);
      });

      it('is copied again when its run goes back in line after its worker died before starting it', async () => {
        pool = new ThreadPool({ minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 2, clock: new Clock() });
        const cells = gate(2);
        const crash = pool.run(built(fx.exitWhenOpened), cells, 3);
        await changed(cells); // its thread is blocked: what is handed to the worker now waits unread
        const view = new Uint8Array(mib).fill(9);
        const waiting = pool.run(built(fx.describeViews), view); // its copy goes to the worker that dies
        open(cells);
        await failureOf(crash);
        expect(await waiting).toEqual({ ...expected(view), shared: undefined }); // sent again with a fresh copy
        expect(pool.stats()).toMatchObject({ crashed: 1, retried: 0 });
      });
    });

    it("errbacks with the error of a throwing transfer function instead of throwing, and leaks nothing", async () => {
      const clock = new Clock();
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1, maxQueue: 0, clock });
      let d: Deferred<number> | undefined;
      expect(() => {
        d = pool.run(built(fx.transferThrows), new ArrayBuffer(8)); // timeoutMs: 5000
      }).not.toThrow();
      const error = await failureOf(d!);
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toBe('cannot pick the transfer list');
      expect(clock.getDelayedCalls()).toEqual([]); // its timeout is disarmed
      expect(pool.stats().inFlight).toBe(0);
      expect(pool.stats().failed).toBe(1);
      // Full capacity: with one worker and maxQueue 0, a task that takes the worker is still admitted.
      const cells = gate();
      const running = pool.run(built(fx.waitForGate), cells, 'ran');
      await changed(cells);
      open(cells);
      expect(await running).toBe('ran');
      // Nothing in flight: close() does not wait out its grace on a clock nobody advances.
      await pool.close(60_000);
    });

    it('receives a result marked with transferResult', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const buffer: ArrayBuffer = await pool.run(built(fx.makeBuffer), 1024);
      expect(buffer.byteLength).toBe(1024);
      expect(new Uint8Array(buffer)[1023]).toBe(7);
    });

    it('runs tasks on several workers at once', async () => {
      pool = new ThreadPool({ minThreads: 2, maxThreads: 2 });
      const a = gate();
      const b = gate();
      const first = pool.run(built(fx.waitForGate), a, 'a');
      const second = pool.run(built(fx.waitForGate), b, 'b');
      await changed(a);
      await changed(b); // both started while the other still waits: two workers
      open(a);
      open(b);
      expect([await first, await second]).toEqual(['a', 'b']);
    });

    it('errbacks with ReactorStoppedError once the pool is closed', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      await pool.close();
      const error = await failureOf(pool.run(built(fx.add), 1, 2));
      expect(error.code).toBe('ERR_REACTOR_STOPPED');
    });
  });

  describe('.runCalls()', () => {
    it('runs the calls one after another in one worker, in order', async () => {
      pool = new ThreadPool({ minThreads: 2, maxThreads: 2 });
      const cells = gate(4);
      const mark = built(fx.markRan);
      await pool.runCalls([
        [mark, cells, 0],
        [built(fx.add), 1, 2],
        [mark, cells, 1],
      ]);
      expect([...cells]).toEqual([1, 1, 0, 0]);
    });

    it('stops at the first error and errbacks with it', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const cells = gate(4);
      const mark = built(fx.markRan);
      const error = await failureOf(
        pool.runCalls([
          [mark, cells, 0],
          [built(fx.throwCustom), 'x'],
          [mark, cells, 1],
        ]),
      );
      expect(error.name).toBe('ParseError');
      expect([...cells]).toEqual([1, 0, 0, 0]);
    });

    it('fires at once for an empty list', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      expect((await settled(pool.runCalls([]))).ok).toBe(true);
      expect(pool.state).toBe('idle');
    });

    it('errbacks with TypeError when an entry is not a task', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const error = await failureOf(pool.runCalls([[(() => 1) as never]]));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/defineTask/);
    });
  });

  describe('state', () => {
    it('starts no worker before the first task', async () => {
      pool = new ThreadPool({ minThreads: 1, maxThreads: 1 });
      expect(pool.state).toBe('idle');
      expect(pool.stats().threads).toBe(0);
      await pool.run(built(fx.noop));
      expect(pool.state).toBe('running');
      expect(pool.stats().threads).toBe(1);
    });
  });
});
