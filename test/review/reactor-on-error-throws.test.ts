/**
 * A reactor's `onError` that throws, or returns a rejected Promise, cannot take the process down, nor leave the work
 * that was reporting half done.
 *
 * The reactor calls `onError` where nothing can take a throw: here, a thread stream's progress delivery, which runs
 * in Piscina's message handler. Before, a throwing `onError` there was an uncaught exception (twice, in this
 * stream) and the stream never ended; an `async` one that rejected was an unhandled rejection. What it throws now
 * goes to `console.error`, with the error it was reporting (src/error-sink.ts).
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import * as fx from '../fixtures/stream-tasks.js';
import { built } from '../threads/thread-test-kit.js';

describe("a reactor's onError that fails", () => {
  let reactor: Reactor | undefined;
  afterEach(async () => {
    await reactor?.stop({ graceMs: 0 });
    jest.restoreAllMocks();
  });

  it('throwing, reporting a progress listener that threw: the stream still ends with its items and result, and the throw goes to console.error', async () => {
    const lines: unknown[][] = [];
    jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(args));
    reactor = new Reactor({
      onError: (error) => {
        throw new Error(`onError rethrew: ${(error as Error).message}`);
      },
      policy: { threads: { maxThreads: 1 } },
    });
    const stream = reactor.stream(built(fx.progressTo), 2);
    stream.onProgress(() => {
      throw new Error('listener broke');
    });
    const items: unknown[] = [];
    for await (const item of stream) items.push(item);
    expect(items).toEqual(['item']);
    expect(await stream.result).toBe(2);
    const reports = lines.filter((line) => line[0] === 'greenreactor: onError threw');
    expect(reports).toHaveLength(2); // one per progress report
    expect((reports[0]![1] as Error).message).toBe('onError rethrew: listener broke');
    expect((reports[0]![3] as Error).message).toBe('listener broke');
  });

  it('async and rejecting, reporting a shutdown trigger that threw: stop() ends and the rejection goes to console.error', async () => {
    const told = new Promise<unknown[]>((resolve) => {
      jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => resolve(args));
    });
    reactor = new Reactor({
      onError: async (error) => {
        await Promise.resolve();
        throw new Error(`onError rejected: ${(error as Error).message}`);
      },
    });
    reactor.addSystemEventTrigger('during', 'shutdown', () => {
      throw new Error('trigger broke');
    });
    await reactor.stop({ graceMs: 0 });
    const line = await told;
    expect(line[0]).toBe('greenreactor: onError threw');
    expect((line[1] as Error).message).toBe('onError rejected: trigger broke');
  });
});
