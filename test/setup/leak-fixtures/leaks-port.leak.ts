// A test file that leaves a listening MessagePort open: the open-handles check must fail it (`MessagePort`).
import { expect, it } from '@jest/globals';
import { MessageChannel } from 'node:worker_threads';

it('listens on a port and never closes it', () => {
  const { port1 } = new MessageChannel();
  port1.on('message', () => undefined);
  expect(port1).toBeDefined();
});
