/**
 * The caller's connections to BullMQ and Redis — made together on a backend's first call, watched, and closed
 * together whatever Redis's state (see `bullmq-backend.ts` for why each exists and how calls use them).
 *
 * Connections: one ioredis client for the `Queue` (adds, reads, removals) and one for the cancel key and channel,
 * both made and ended here (BullMQ is lent the first and never closes it); the blocking one `QueueEvents` makes for
 * itself from the same options, whose reconnect strategy gives up once the backend closes (so its `close()` ends even
 * when Redis was never reached); and the large-job connection (`large-job-sender.ts`), made at the first job over
 * 1 MiB. All of them wait for a lost connection to come back (`maxRetriesPerRequest: null`); `unreachableMs` alone
 * decides when waiting stops.
 *
 * Contract with the backend: the engine holds no call state. It tells the backend through {@link EngineListener}
 * (events, errors, reachability) and asks it `busy()` and `closing()`; the backend owns every call and decides.
 *
 * @module
 */
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { RemoteUnavailableError } from '../errors.js';
import { endConnection } from './end-connection.js';
import { LargeJobSender } from './large-job-sender.js';
import { describeConnection, redisClientOptions } from './redis-connection-options.js';
import { RedisReachability } from './redis-reachability.js';

/** BullMQ's objects and the clients under them. */
export interface Engine {
  readonly queue: Queue;
  readonly events: QueueEvents;
  /** The client lent to `queue`. */
  readonly queueClient: Redis;
  /** The cancel key and channel. */
  readonly redis: Redis;
  /** Watches the queue's connection. */
  readonly reach: RedisReachability;
  /** Resolves once the queue and its event stream are connected (never, while Redis is out of reach). */
  readonly ready: Promise<void>;
  /** Sends the jobs over 1 MiB, on a connection of its own (see large-job-sender.ts). */
  readonly large: LargeJobSender;
}

/** Where an engine connects. */
export interface EngineSettings {
  /** Options from `resolveConnection`. */
  readonly connection: Record<string, unknown>;
  readonly queueName: string;
  readonly prefix: string;
  readonly unreachableMs: number;
}

/** What an engine tells its backend, and asks it. */
export interface EngineListener {
  /** An error of a connection (no call carries it). */
  report(error: unknown): void;
  /** BullMQ's `completed` event. */
  completed(jobId: string, returnvalue: unknown): void;
  /** BullMQ's `failed` event. */
  failed(jobId: string, failedReason: string): void;
  /** Redis has been out of reach for `unreachableMs`. */
  unreachable(error: RemoteUnavailableError): void;
  /** Redis is back after such an outage. */
  reachable(): void;
  /** Whether work waits on Redis (calls pending, or the backend closing): the reachability watch probes then. */
  busy(): boolean;
  /** Whether the backend is closing (the clients stop reconnecting). */
  closing(): boolean;
}

/**
 * Makes the connections and starts watching them.
 * @param settings - where to connect.
 * @param listener - the backend.
 * @returns the engine (connecting).
 */
export function openEngine(settings: EngineSettings, listener: EngineListener): Engine {
  const { connection, queueName, prefix, unreachableMs } = settings;
  const options = redisClientOptions(connection, () => listener.closing());
  const queueClient = new Redis(options);
  const redis = new Redis(options);
  const queue = new Queue(queueName, { connection: queueClient, prefix });
  const events = new QueueEvents(queueName, { connection: options, prefix });
  const report = (error: unknown): void => listener.report(error);
  // Queue and QueueEvents pass their clients' errors on; the cancel client's come straight.
  queue.on('error', report);
  events.on('error', report);
  redis.on('error', report);
  events.on('completed', ({ jobId, returnvalue }) => listener.completed(jobId, returnvalue));
  events.on('failed', ({ jobId, failedReason }) => listener.failed(jobId, failedReason));
  const reach = new RedisReachability(queueClient, unreachableMs, `Redis at ${describeConnection(connection)}`, {
    onUnreachable: (error) => listener.unreachable(error),
    onReachable: () => listener.reachable(),
    // Calls wait on Redis, or the backend is closing (its aborts and quits do): a server that stops answering then
    // ends them as surely as a lost connection.
    busy: () => listener.busy(),
  });
  const ready = Promise.all([queue.waitUntilReady(), events.waitUntilReady()]).then(() => undefined);
  ready.catch(() => undefined); // each user of `ready` handles its failure; this one only keeps it from being unhandled
  const large = new LargeJobSender(queueName, prefix, options, report);
  return { queue, events, queueClient, redis, reach, ready, large };
}

/**
 * Closes every connection of `engine`; resolves once all are closed, never rejects, whatever Redis's state.
 *
 * Commands still queued for a server out of reach would wait for it forever: it stops waiting once the server is out
 * of reach (its connection lost, or a probe unanswered for `unreachableMs`: a paused server keeps its connection
 * open), then ends the connections.
 * @param engine - the engine (the backend is closing: its clients no longer reconnect).
 * @param settleChores - resolves once the backend's commands in flight (aborts, removals, a reconcile pass) settled.
 */
export async function closeEngine(engine: Engine, settleChores: () => Promise<void>): Promise<void> {
  const { events, queue, queueClient, redis, reach, large } = engine;
  reach.probe();
  const down = reach.whenDown();
  await Promise.race([settleChores(), down]);
  await Promise.race([Promise.allSettled([events.close(), queue.close(), redis.quit(), queueClient.quit(), large.close()]), down]);
  reach.stop();
  // Whatever the state, end our connections (a no-op for those already ended); the events client gives up
  // reconnecting now that the backend is closing, so its close() ends too.
  const ended = [endConnection(queueClient), endConnection(redis), large.disconnect()];
  await Promise.allSettled([events.close(), queue.close(), large.close(), ...ended]);
}
