/**
 * `LargeJobSender`: the caller's side of a job whose data is over 1 MiB — enqueued on a
 * {@link LargeWriteConnection}, never on the queue's own client.
 *
 * Why: a server that refuses the job as over its `proto-max-bulk-len` drops the connection, its answer often lost
 * with it, and the queue's client re-sends an unanswered write once reconnected — to be refused again, with no end
 * (see `large-write-connection.ts`). Here the job is sent at most twice, and a second lost connection rejects with
 * `LargeWriteLost`, aborting the job (a loss after the server ran the add leaves a copy); the backend then asks the
 * server whether it takes a value that large ({@link LargeJobSender.takes}): `DataCloneError` when it does not, Redis
 * out of reach (a restart during the add) when it does. Small jobs stay on the queue's client (the job id makes a
 * re-sent add a no-op).
 *
 * The queue here is lent the connection's client (BullMQ never closes a lent client); the connection reports the
 * client's errors, so the queue's copies of them are not reported again.
 *
 * @module
 */
import { Queue, type Job, type JobsOptions } from 'bullmq';
import { LargeWriteConnection } from './large-write-connection.js';
import { serverTakes } from './redis-value-limit.js';
import type { RemoteJobData } from './remote-wire.js';

/** Sends large jobs to one queue. */
export class LargeJobSender {
  readonly #queueName: string;
  readonly #prefix: string;
  readonly #connection: LargeWriteConnection;
  #queue: Queue | undefined;

  /**
   * @param queueName - the queue.
   * @param prefix - BullMQ's key prefix.
   * @param clientOptions - the backend's client options (`redisClientOptions`).
   * @param report - where the connection's errors go, when no add carries them.
   */
  constructor(queueName: string, prefix: string, clientOptions: Record<string, unknown>, report: (error: unknown) => void) {
    this.#queueName = queueName;
    this.#prefix = prefix;
    this.#connection = new LargeWriteConnection(clientOptions, report);
  }

  /**
   * Adds job `opts.jobId` (connecting on first use).
   * @param name - the job's name.
   * @param data - its data.
   * @param opts - BullMQ's job options (with the job id).
   * @returns the job; rejects with `LargeWriteLost` when the connection was lost each time it was sent, or with the
   *   server's error (its refusal, when its answer was read).
   */
  add(name: string, data: RemoteJobData, opts: JobsOptions): Promise<Job> {
    const queue = this.#open();
    return this.#connection.send(() => queue.add(name, data, opts));
  }

  /**
   * Whether the server takes a value of `size` bytes (asked by sending one, see `serverTakes`): after an add whose
   * connection was lost at each send, it tells the server's refusal from an outage (a restart during the add).
   * @param size - the value's length as sent.
   * @returns false when the server refused it; true otherwise (never rejects).
   */
  takes(size: number): Promise<boolean> {
    return serverTakes(size, `${this.#prefix}:${this.#queueName}:`, this.#connection);
  }

  /** Closes the queue and quits the connection (no-ops when none was made); never rejects. */
  async close(): Promise<void> {
    await Promise.allSettled([this.#queue?.close(), this.#connection.close()]);
  }

  /**
   * Ends the connection at once, whatever its state.
   * @returns resolves once it has ended; never rejects.
   */
  disconnect(): Promise<void> {
    return this.#connection.disconnect();
  }

  #open(): Queue {
    if (this.#queue !== undefined) return this.#queue;
    const queue = new Queue(this.#queueName, { connection: this.#connection.client, prefix: this.#prefix });
    // The connection reports its client's errors; a listener must be there all the same (an 'error' event with none
    // throws).
    queue.on('error', () => undefined);
    this.#queue = queue;
    return queue;
  }
}
