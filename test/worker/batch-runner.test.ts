import { describe, expect, it } from '@jest/globals';
import { BatchRunner } from '../../src/worker/batch-runner.js';
import { ResultFlush } from '../../src/worker/result-flush.js';
import { outcomeTag, type BatchResults, type TaskOutcome, type TaskRequest } from '../../src/threads/wire.js';

describe('BatchRunner', () => {
  describe('.run()', () => {
    it('sends nothing early once a call was declined, so the reply carries every decline of the batch', () => {
      const declined: TaskOutcome = { tag: outcomeTag, status: 'declined', threadId: 7 };
      // A flush that sends held results before every call (each call's task is one this worker never timed).
      const flush = new ResultFlush(2, () => 0);
      const sent: unknown[][] = [];
      // The worker runs two calls, then retires: it declines every later call, as its gate does.
      const runner = new BatchRunner(
        (request: TaskRequest) => {
          if (request.slot >= 2) throw declined;
          return request.slot * 10;
        },
        flush,
        (message: BatchResults) => sent.push([...message.results]),
      );
      const batch = [0, 1, 2, 3, 4].flatMap((slot) => ['file:///m.js', `task${slot}`, [], slot, undefined]);
      const reply = runner.run(batch) as BatchResults;
      expect(sent).toEqual([
        [0, 1, 0],
        [1, 1, 10],
      ]); // before the decline, held results leave early as usual
      expect(reply.results).toEqual([2, 0, declined, 3, 0, declined, 4, 0, declined]);
    });

    it('sends nothing early after a call declined asynchronously (its module was still loading)', async () => {
      const declined: TaskOutcome = { tag: outcomeTag, status: 'declined', threadId: 7 };
      const flush = new ResultFlush(2, () => 0); // sends held results before every call, as above
      const sent: unknown[][] = [];
      // The third call's task was not loaded yet: the runner loads it first and declines it once loaded (the worker
      // retired meanwhile, task-runner.ts); every later call is declined at once.
      const runner = new BatchRunner(
        (request: TaskRequest) => {
          if (request.slot === 2) return Promise.reject(declined);
          if (request.slot > 2) throw declined;
          return request.slot * 10;
        },
        flush,
        (message: BatchResults) => sent.push([...message.results]),
      );
      const batch = [0, 1, 2, 3, 4].flatMap((slot) => ['file:///m.js', `task${slot}`, [], slot, undefined]);
      const reply = (await runner.run(batch)) as BatchResults;
      expect(sent).toEqual([
        [0, 1, 0],
        [1, 1, 10],
      ]); // the asynchronous decline is held with the later ones, not sent ahead of them
      expect(reply.results).toEqual([2, 0, declined, 3, 0, declined, 4, 0, declined]);
    });
  });
});
