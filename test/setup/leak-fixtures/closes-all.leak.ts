// A test file that opens the same four kinds of handle and closes each in `afterAll`: the check must pass it (a
// worker's exit and a socket's close land after the hook, within the check's wait).
import { afterAll, expect, it } from '@jest/globals';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { MessageChannel, Worker } from 'node:worker_threads';

const closers: (() => unknown)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

it('opens a timer, a port, a socket and a worker', async () => {
  const timer = setTimeout(() => undefined, 600_000);
  closers.push(() => clearTimeout(timer));
  const { port1 } = new MessageChannel();
  port1.on('message', () => undefined);
  closers.push(() => port1.close());
  const server = createServer((socket: Socket) => socket.resume());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  closers.push(() => socket.destroy(), () => server.close());
  const worker = new Worker('setInterval(() => undefined, 1000);', { eval: true });
  await new Promise<void>((resolve) => worker.once('online', resolve));
  closers.push(() => worker.terminate());
  expect(worker.threadId).toBeGreaterThan(0);
});
