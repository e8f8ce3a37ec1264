import { describe, expect, it } from '@jest/globals';
import { BatchRunner } from '../../src/worker/batch-runner.js';
import { LastTask } from '../../src/worker/last-task.js';
import { ResultFlush } from '../../src/worker/result-flush.js';
import { batchStride, type TaskRequest } from '../../src/threads/wire.js';

describe('LastTask', () => {
  describe('.get()', () => {
    it('gives the value kept for the last task set, and nothing for a task of another module or export', () => {
      const last = new LastTask<string>();
      expect(last.get('', '')).toBeUndefined();
      last.set('file:///a.js', 'f', 'a#f');
      expect(last.get('file:///a.js', 'f')).toBe('a#f');
      expect(last.get('file:///a.js', 'g')).toBeUndefined();
      expect(last.get('file:///b.js', 'f')).toBeUndefined();
      last.set('file:///b.js', 'f', 'b#f');
      expect(last.get('file:///a.js', 'f')).toBeUndefined();
      expect(last.get('file:///b.js', 'f')).toBe('b#f');
    });
  });
});

describe('BatchRunner', () => {
  describe('.run()', () => {
    it("times each call of a batch that alternates tasks under its own task's flush key", () => {
      const learnt: string[] = [];
      const asked: string[] = [];
      const flush = new (class extends ResultFlush {
        override learn(task: string, runMs: number): void {
          learnt.push(task);
          super.learn(task, runMs);
        }
        override before(task: string): boolean {
          asked.push(task);
          return super.before(task);
        }
      })(2, () => 0);
      const ran: string[] = [];
      const sent: unknown[] = [];
      const runner = new BatchRunner(
        (request: TaskRequest) => {
          ran.push(request.exportName);
          return request.args[0];
        },
        flush,
        (message) => sent.push(...message.results),
      );
      const calls = [
        ['file:///m.js', 'a'],
        ['file:///m.js', 'b'],
        ['file:///n.js', 'b'],
        ['file:///n.js', 'b'],
        ['file:///m.js', 'a'],
      ];
      const batch = calls.flatMap(([url, name], slot) => [url, name, [slot], slot, undefined]);
      expect(batch.length).toBe(calls.length * batchStride);
      const reply = runner.run(batch) as { results: unknown[] };
      const keys = calls.map(([url, name]) => `${url}#${name}`);
      expect(ran).toEqual(['a', 'b', 'b', 'b', 'a']);
      expect(asked).toEqual(keys);
      expect(learnt).toEqual(keys);
      // Every call's result once (slot, ok, value), sent early or in the reply.
      expect([...sent, ...reply.results]).toEqual([0, 1, 0, 1, 1, 1, 2, 1, 2, 3, 1, 3, 4, 1, 4]);
    });
  });
});
