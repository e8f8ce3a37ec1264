/**
 * `LargeWriteConnection`: a Redis connection for writes over 1 MiB — the writes a server may refuse by dropping the
 * connection — that never re-sends such a write by itself, and reports its lost connection once per cause.
 *
 * Why: a Redis server refuses a value over its `proto-max-bulk-len` by answering a protocol error and dropping the
 * connection (see `redis-value-limit.ts`). While a large write is still going out (2 MB are many socket writes), that
 * answer is often lost with the connection (EPIPE, then ECONNRESET), and ioredis re-sends every unanswered command
 * once reconnected (`autoResendUnfulfilledCommands`): the server refused it again, and again — one refused write
 * cost tens of reconnections, each reported through `onError`, and its caller waited until the answer happened to be
 * read, which nothing bounds (a hang). Both sides check the limit before a large write, but cannot when the server
 * refuses `CONFIG GET` (managed services) or the limit changes between the read and the write.
 *
 * Invariants:
 * - Only large writes come here: a write under `minimumValueLimit` (1 MiB) cannot be refused for its size, and stays
 *   on its owner's usual client, which re-sends a write its connection lost (right for a Redis restart).
 * - {@link LargeWriteConnection.send} runs a write at most twice: once more after its connection was lost before the
 *   answer (Redis restarted during the write); a second loss rejects with {@link LargeWriteLost} — the server dropped
 *   the connection each time, which is how it refuses a value over its limit. The server may still have run one of
 *   them (a loss after it ran the command): the owner undoes what that would leave.
 * - One report per cause: while a write is in flight, the connection's errors are not reported (the write's own
 *   outcome carries them); otherwise the first error of each lost connection is.
 * - The connection is made at the first write (an owner that makes none opens none); `close()` and `disconnect()`
 *   end it, and the client's reconnect strategy is the owner's (it gives up once the owner closes).
 *
 * @module
 */
import { Redis } from 'ioredis';
import { endConnection } from './end-connection.js';

/** A large write whose connection was lost each time it was sent (the server's refusal, its answer lost). */
export class LargeWriteLost extends Error {
  /** How many times it was sent. */
  readonly sent: number;

  /**
   * @param sent - how many times the write was sent.
   * @param cause - ioredis's rejection of the last one.
   */
  constructor(sent: number, cause: unknown) {
    super(`the connection was lost each of the ${sent} times the write was sent`, { cause });
    this.name = 'LargeWriteLost';
    this.sent = sent;
  }
}

/** How many times a large write is sent before a lost connection counts as the server's refusal. */
const largeWriteSends = 2;

/** A connection for large writes (see the module's invariants). */
export class LargeWriteConnection {
  readonly #clientOptions: Record<string, unknown>;
  readonly #report: (error: unknown) => void;
  #client: Redis | undefined;
  #inFlight = 0;
  /** An error of the current connection was reported (cleared when it is ready again). */
  #reported = false;

  /**
   * @param clientOptions - the owner's client options (`redisClientOptions`); re-sending is turned off here.
   * @param report - where the connection's errors go, when no write carries them.
   */
  constructor(clientOptions: Record<string, unknown>, report: (error: unknown) => void) {
    this.#clientOptions = clientOptions;
    this.#report = report;
  }

  /** The client (made, and connecting, on first use). Write through {@link LargeWriteConnection.send} only. */
  get client(): Redis {
    if (this.#client !== undefined) return this.#client;
    const client = new Redis({ ...this.#clientOptions, autoResendUnfulfilledCommands: false });
    client.on('ready', () => (this.#reported = false));
    client.on('error', (error: unknown) => {
      if (this.#inFlight > 0 || this.#reported) return;
      this.#reported = true;
      this.#report(error);
    });
    this.#client = client;
    return client;
  }

  /**
   * Runs `write` (commands on {@link LargeWriteConnection.client}), once more if its connection was lost.
   * @param write - the write.
   * @returns its result; rejects with {@link LargeWriteLost} when the connection was lost each time, else with the
   *   write's own error (the server's refusal, when its answer was read).
   */
  async send<T>(write: () => Promise<T>): Promise<T> {
    this.#inFlight++;
    try {
      for (let sent = 1; ; sent++) {
        try {
          return await write();
        } catch (error) {
          if (!isLostConnection(error)) throw error;
          if (sent >= largeWriteSends) throw new LargeWriteLost(sent, error);
        }
      }
    } finally {
      this.#inFlight--;
    }
  }

  /** Quits the connection (a no-op when none was made); never rejects. */
  async close(): Promise<void> {
    await this.#client?.quit().catch(() => undefined);
  }

  /**
   * Ends the connection at once, whatever its state (see `end-connection.ts`).
   * @returns resolves once it has ended; never rejects.
   */
  disconnect(): Promise<void> {
    return endConnection(this.#client);
  }
}

/** Whether `error` is ioredis's rejection of a command whose connection was lost before its answer. */
function isLostConnection(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError' && error.message.includes('connection close');
}
