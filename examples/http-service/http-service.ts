/**
 * A small HTTP service: `GET /report` runs the heavy report, `GET /health` answers at once.
 *
 * `/health` is what a load balancer polls; if the report blocks the loop, health checks time
 * out and the instance gets killed while it is merely busy. Where the report runs is passed in,
 * so the same service runs inline or through `reactor.dispatch`.
 *
 * @module
 */
import http from 'node:http';
import type { RegionSales } from './sales-database.js';

/** Produces the report: synchronously (inline) or as a Promise/Deferred. */
export type ReportRunner = () => RegionSales[] | PromiseLike<RegionSales[]>;

/** A listening service. */
export interface HttpService {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Stops listening and closes keep-alive connections. */
  close(): Promise<void>;
}

/**
 * Starts the service on 127.0.0.1 with a free port.
 * @param runReport - runs the report.
 * @returns the service.
 */
export async function startHttpService(runReport: ReportRunner): Promise<HttpService> {
  const server = http.createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (req.url === '/report') {
      Promise.resolve()
        .then(() => runReport())
        .then(
          (rows) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rows)),
          (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
        );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
