import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import * as a from '../fixtures/parse-tasks-a.js';
import * as b from '../fixtures/parse-tasks-b.js';
import { built } from './thread-test-kit.js';

describe('ThreadPool', () => {
  let pool: ThreadPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  describe('.stats()', () => {
    it('keeps one record per task, named by module once two tasks share a name', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const [ca, cb] = [built(a.checksum), built(b.checksum)];
      await pool.run(ca, 1);
      expect(Object.keys(pool.stats().tasks)).toEqual(['checksum']);
      await pool.run(cb, 2);
      await pool.run(cb, 3);
      const { tasks } = pool.stats();
      expect(Object.keys(tasks).sort()).toEqual(['checksum (parse-tasks-a.js)', 'checksum (parse-tasks-b.js)']);
      expect([tasks['checksum (parse-tasks-a.js)']?.runs, tasks['checksum (parse-tasks-b.js)']?.runs]).toEqual([1, 2]);
      expect([pool.taskStats(ca)?.runs, pool.taskStats(cb)?.runs]).toEqual([1, 2]);
    });

    it('records a callMultipleInThread run under its own name, apart from its first task', async () => {
      pool = new ThreadPool({ maxThreads: 1 });
      const [ca, cb] = [built(a.checksum), built(b.checksum)];
      await pool.run(ca, 1);
      await pool.runCalls([[ca, 2], [cb, 3]]);
      const { tasks } = pool.stats();
      expect(Object.keys(tasks).sort()).toEqual(['callMultipleInThread(checksum, checksum)', 'checksum']);
      expect([tasks.checksum?.runs, tasks['callMultipleInThread(checksum, checksum)']?.runs]).toEqual([1, 1]);
    });
  });
});
