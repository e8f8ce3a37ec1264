/**
 * A TCP server speaking a one-line protocol, whose handler does a slow lookup.
 *
 * Request: `LOOKUP <client> <key>\n`; reply: `FOUND <client> <hits> <total>\n` or `ERROR <message>\n`.
 * How the lookup runs is the handler's business — inline, on a thread, in a greenlet — which is
 * the whole point of the demo: the server code does not change, only where the work goes.
 *
 * @module
 */
import net from 'node:net';
import type { LookupResult } from './lookup-database.js';
import type { Timeline } from './timeline.js';

/** Runs one lookup: synchronously (inline) or returning a Promise/Deferred. */
export type LookupHandler = (key: string) => LookupResult | PromiseLike<LookupResult>;

/** When the server worked on one request: from the line's arrival to the result. */
export interface LookupSpan {
  /** The client's name. */
  readonly client: string;
  /** When the lookup started, ms on the timeline. */
  readonly startMs: number;
  /** When its result was ready, ms on the timeline. */
  readonly endMs: number;
}

/** A listening server. */
export interface LineServer {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** The lookups served so far. */
  readonly spans: readonly LookupSpan[];
  /** Stops listening, ends open connections, resolves when closed. */
  close(): Promise<void>;
}

/**
 * Starts the server on 127.0.0.1 with a free port.
 * @param handler - runs a lookup.
 * @param timeline - where the server logs.
 * @param mode - how the handler runs, for the log lines.
 * @returns the listening server.
 */
export async function startLineServer(handler: LookupHandler, timeline: Timeline, mode: string): Promise<LineServer> {
  const spans: LookupSpan[] = [];
  const sockets = new Set<net.Socket>();

  const serve = async (socket: net.Socket, line: string): Promise<void> => {
    const [verb, client = '?', key = ''] = line.trim().split(/\s+/);
    if (verb !== 'LOOKUP') {
      socket.write(`ERROR unknown request ${JSON.stringify(line)}\n`);
      return;
    }
    const startMs = timeline.log('server', `${client} asked for "${key}": lookup starts (${mode})`);
    try {
      // An inline handler returns the result itself, having blocked the loop meanwhile;
      // the others return a Deferred at once and the loop stays free until it fires.
      const result = await handler(key);
      const endMs = timeline.log('server', `${client}: lookup done, ${result.hits} hits, replying`);
      spans.push({ client, startMs, endMs });
      socket.write(`FOUND ${client} ${result.hits} ${result.total}\n`);
    } catch (error) {
      timeline.log('server', `${client}: lookup failed: ${String(error)}`);
      socket.write(`ERROR ${String(error).replace(/\n/g, ' ')}\n`);
    }
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setEncoding('utf8');
    let buffered = '';
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        void serve(socket, line);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  timeline.log('server', `listening on 127.0.0.1:${address.port}`);
  return {
    port: address.port,
    spans,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
