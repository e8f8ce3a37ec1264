/**
 * `readJobStates` against a real redis-server and real BullMQ jobs: a job a worker finished reads 'finished', one
 * still waiting 'unfinished', one never added (or removed) 'vanished', in the order asked, across chunks.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobStatesChunk, readJobStates } from '../../src/remote-bullmq/job-states.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

let redis: TestRedis;
let client: Redis;
let waiting: Queue;
let done: Queue;

beforeAll(async () => {
  redis = await startRedis();
  client = redis.client();
  waiting = new Queue('states-waiting', { connection: redis.connection });
  done = new Queue('states-done', { connection: redis.connection });
});

afterAll(async () => {
  await Promise.all([waiting?.close(), done?.close()]);
  client?.disconnect();
  await redis?.stop();
});

/** Adds one job to `done` and lets a real worker complete or fail it; resolves once it has. */
async function finishOne(id: string, fail: boolean): Promise<void> {
  const worker = new Worker(
    'states-done',
    async () => {
      if (fail) throw new Error('failed on purpose');
      return 'ok';
    },
    { connection: redis.connection, autorun: false },
  );
  const ended = new Promise<void>((resolve) => {
    worker.on('completed', () => resolve());
    worker.on('failed', () => resolve());
  });
  await done.add('job', {}, { jobId: id, attempts: 1 });
  void worker.run();
  await ended;
  await worker.close();
}

describe('readJobStates', () => {
  it('reads finished (completed or failed), unfinished and vanished jobs, in the order asked', async () => {
    await finishOne('completed-1', false);
    await finishOne('failed-1', true);
    await waiting.add('job', {}, { jobId: 'waiting-1' });
    const keys = [done.toKey('completed-1'), waiting.toKey('waiting-1'), waiting.toKey('never-added'), done.toKey('failed-1')];
    expect(await readJobStates(client, keys)).toEqual(['finished', 'unfinished', 'vanished', 'finished']);
  });

  it('keeps the order across chunks', async () => {
    const count = jobStatesChunk + 20;
    await waiting.addBulk(Array.from({ length: count }, (_, i) => ({ name: 'job', data: {}, opts: { jobId: `bulk-${i}` } })));
    const keys = Array.from({ length: count }, (_, i) => waiting.toKey(`bulk-${i}`));
    // A gap in each chunk: one removed job before the chunk boundary, one after.
    await waiting.remove('bulk-3');
    await waiting.remove(`bulk-${jobStatesChunk + 5}`);
    const states = await readJobStates(client, keys);
    expect(states.length).toBe(count);
    const vanishedAt = states.flatMap((state, i) => (state === 'vanished' ? [i] : []));
    expect(vanishedAt).toEqual([3, jobStatesChunk + 5]);
    expect(states.filter((state) => state === 'unfinished').length).toBe(count - 2);
  });

  it('answers an empty list without a call', async () => {
    expect(await readJobStates(client, [])).toEqual([]);
  });
});
