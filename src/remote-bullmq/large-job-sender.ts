/**
 * `LargeJobSender`: the caller's side of a job whose data is over 1 MiB — sent on a connection of its own that never
 * re-sends, by itself, a write whose connection was lost.
 *
 * Why: a Redis server refuses a value over its `proto-max-bulk-len` by answering a protocol error and dropping the
 * connection (see `redis-value-limit.ts`). While a large write is still going out (a 2 MB job is many socket
 * writes), that answer is often lost with the connection (EPIPE, then ECONNRESET), and ioredis re-sends every
 * unanswered command once reconnected (`autoResendUnfulfilledCommands`): the server refused the job again, and again
 * — one refused `add` cost tens of reconnections, each reported through `onError`, and its call waited until the
 * answer happened to be read, which nothing bounds (a hang). The backend checks the limit before sending, but cannot
 * when the server refuses `CONFIG GET` (managed services) or the limit changes between the read and the write.
 *
 * Invariants:
 * - Small jobs never come here: they stay on the queue's own client, which re-sends a write its connection lost
 *   (the job id makes a second add of the same job a no-op). Only a job over `minimumValueLimit` (1 MiB) can be refused
 *   for its size.
 * - A large job whose connection was lost before its answer is sent once more, once reconnected (Redis restarted
 *   during the write); a second loss rejects with {@link LargeJobLost}: the server dropped the connection each time
 *   the job was sent, which is how it refuses a value over its limit. It may still have taken one of them (a loss
 *   after the server ran the add), so the caller must abort the job as it does for a cancelled call.
 * - One report per cause: while an add is in flight, this connection's errors are not passed to `report` (the
 *   add's own outcome carries them to its call's Deferred); otherwise the first error of each lost connection is.
 * - The connection is made at the first large job (a backend that sends none opens none), and only by
 *   {@link LargeJobSender.add}; {@link LargeJobSender.close} and {@link LargeJobSender.disconnect} end it.
 *
 * @module
 */
import { Queue, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { RemoteJobData } from './remote-wire.js';

/** A large job whose connection was lost each time it was sent (the server's refusal, its answer lost). */
export class LargeJobLost extends Error {
  /** How many times it was sent. */
  readonly sent: number;

  constructor(sent: number, cause: unknown) {
    super(`the connection was lost each of the ${sent} times the job was sent`, { cause });
    this.name = 'LargeJobLost';
    this.sent = sent;
  }
}

/** How many times a large job is sent before a lost connection counts as the server's refusal. */
const largeJobSends = 2;

/** Sends large jobs to one queue (see the module's invariants). */
export class LargeJobSender {
  readonly #queueName: string;
  readonly #prefix: string;
  readonly #clientOptions: Record<string, unknown>;
  readonly #report: (error: unknown) => void;
  #client: Redis | undefined;
  #queue: Queue | undefined;
  #inFlight = 0;
  /** An error of the current connection was reported (cleared when it is ready again). */
  #reported = false;

  /**
   * @param queueName - the queue.
   * @param prefix - BullMQ's key prefix.
   * @param clientOptions - the backend's client options (`redisClientOptions`); re-sending is turned off here.
   * @param report - where this connection's errors go, when no add carries them.
   */
  constructor(queueName: string, prefix: string, clientOptions: Record<string, unknown>, report: (error: unknown) => void) {
    this.#queueName = queueName;
    this.#prefix = prefix;
    this.#clientOptions = clientOptions;
    this.#report = report;
  }

  /**
   * Adds job `opts.jobId` (connecting on first use).
   * @param name - the job's name.
   * @param data - its data.
   * @param opts - BullMQ's job options (with the job id).
   * @returns the job; rejects with {@link LargeJobLost} when the connection was lost each time it was sent, or with
   *   the server's error (its refusal, when its answer was read).
   */
  async add(name: string, data: RemoteJobData, opts: JobsOptions): Promise<Job> {
    const queue = this.#open();
    this.#inFlight++;
    try {
      for (let sent = 1; ; sent++) {
        try {
          return await queue.add(name, data, opts);
        } catch (error) {
          if (!isLostConnection(error)) throw error;
          if (sent >= largeJobSends) throw new LargeJobLost(sent, error);
        }
      }
    } finally {
      this.#inFlight--;
    }
  }

  /** Closes the queue and quits the connection (a no-op when none was made); never rejects. */
  async close(): Promise<void> {
    await Promise.allSettled([this.#queue?.close(), this.#client?.quit()]);
  }

  /** Ends the connection at once, whatever its state. */
  disconnect(): void {
    this.#client?.disconnect();
  }

  #open(): Queue {
    if (this.#queue !== undefined) return this.#queue;
    const client = new Redis({ ...this.#clientOptions, autoResendUnfulfilledCommands: false });
    client.on('ready', () => (this.#reported = false));
    const queue = new Queue(this.#queueName, { connection: client, prefix: this.#prefix });
    // The queue passes its client's errors on (and emitting 'error' with no listener would throw).
    queue.on('error', (error: unknown) => {
      if (this.#inFlight > 0 || this.#reported) return;
      this.#reported = true;
      this.#report(error);
    });
    this.#client = client;
    this.#queue = queue;
    return queue;
  }
}

/** Whether `error` is ioredis's rejection of a command whose connection was lost before its answer. */
function isLostConnection(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError' && error.message.includes('connection close');
}
