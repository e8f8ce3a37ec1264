/**
 * The options of `bullmqBackend`, field by field, and their defaults (house style: `XOptions` + `defaultXOptions`).
 *
 * @module
 */
import type { RedisConnectionOptions } from './redis-connection-options.js';

/** Options of `bullmqBackend`. */
export interface BullmqBackendOptions {
  /** Where Redis is (BullMQ's connection options: `{ host, port }`, `{ path }`, `{ url }`). */
  connection: RedisConnectionOptions;
  /** The BullMQ queue's name; the worker hosts must serve the same one. */
  queue: string;
  /**
   * How often (ms) the state of every pending job is read, to deliver results whose event was lost.
   * @defaultValue 1000
   */
  reconcileMs?: number;
  /**
   * How long (ms) Redis may be out of reach — never reached, or its connection lost — before pending calls errback
   * `RemoteUnavailableError` (and new ones do at once, until it is back).
   * @defaultValue 10000
   */
  unreachableMs?: number;
  /**
   * BullMQ's key prefix (hosts must use the same).
   * @defaultValue `'bull'`
   */
  prefix?: string;
  /**
   * Where errors no Deferred can carry go (a lost connection, a failed removal).
   * What it throws goes to `console.error` (it is called from event handlers, where a throw would end the process).
   * @defaultValue `console.error`
   */
  onError?: (error: unknown) => void;
  /**
   * Fault injection, for tests of the reconcile poll: `dropEvents: true` ignores every event BullMQ delivers.
   * @defaultValue no faults
   */
  faults?: { dropEvents?: boolean };
}

/** The defaults of {@link BullmqBackendOptions}. */
export const defaultBullmqBackendOptions = Object.freeze({ reconcileMs: 1000, unreachableMs: 10_000, prefix: 'bull' });
