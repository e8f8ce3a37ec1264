// A test file that leaves a connected socket (and its server) open: the open-handles check must fail it.
import { expect, it } from '@jest/globals';
import { connect, createServer, type AddressInfo } from 'node:net';

it('connects to a server and closes neither', async () => {
  const server = createServer((socket) => socket.resume());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  expect(socket.readyState).toBe('open');
});
