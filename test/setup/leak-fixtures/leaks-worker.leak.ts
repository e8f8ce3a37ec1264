// A test file that leaves a worker thread running: the open-handles check must fail it (`Worker ×1`).
import { expect, it } from '@jest/globals';
import { Worker } from 'node:worker_threads';

it('starts a worker and never terminates it', async () => {
  const worker = new Worker('setInterval(() => undefined, 1000);', { eval: true });
  await new Promise<void>((resolve) => worker.once('online', resolve));
  expect(worker.threadId).toBeGreaterThan(0);
});
