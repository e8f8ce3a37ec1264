/**
 * A client of the line server that records when it sent its request and when the reply came.
 *
 * @module
 */
import net from 'node:net';
import type { Timeline } from './timeline.js';

/** What one client saw. */
export interface ClientExchange {
  /** The client's name. */
  readonly name: string;
  /** When the request was written, ms on the timeline. */
  readonly sentMs: number;
  /** When the reply line arrived, ms on the timeline. */
  readonly repliedMs: number;
  /** The reply line. */
  readonly reply: string;
}

/** A connected client, ready to send its one request. */
export interface LineClient {
  /** Sends `LOOKUP <name> <key>` and resolves with the exchange once the reply arrives; then disconnects. */
  lookup(key: string): Promise<ClientExchange>;
}

/**
 * Connects a client to the server.
 * @param port - the server's port on 127.0.0.1.
 * @param name - the client's name in the logs.
 * @param timeline - where it logs.
 * @returns the connected client.
 */
export async function connectLineClient(port: number, name: string, timeline: Timeline): Promise<LineClient> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  timeline.log(`client ${name}`, 'connected');
  return {
    lookup: (key) =>
      new Promise<ClientExchange>((resolve, reject) => {
        let buffered = '';
        socket.on('data', (chunk: string) => {
          buffered += chunk;
          const nl = buffered.indexOf('\n');
          if (nl < 0) return;
          const reply = buffered.slice(0, nl);
          const repliedMs = timeline.log(`client ${name}`, `← ${reply} (${(timeline.now() - sentMs).toFixed(0)} ms after sending)`);
          socket.end();
          resolve({ name, sentMs, repliedMs, reply });
        });
        socket.once('error', reject);
        const sentMs = timeline.log(`client ${name}`, `→ LOOKUP ${name} ${key}`);
        socket.write(`LOOKUP ${name} ${key}\n`);
      }),
  };
}
