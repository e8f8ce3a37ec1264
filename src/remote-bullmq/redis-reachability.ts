/**
 * `RedisReachability`: watches one ioredis client and says when Redis has been out of reach for too long.
 *
 * Why: ioredis reconnects forever and holds commands in its offline queue while it does, and BullMQ waits for it:
 * left alone, a call made while Redis is down (or never up) would wait forever, and so would `close()`. The remote
 * route instead gives Redis `limitMs` to come (back) and then ends what waits with `RemoteUnavailableError`.
 *
 * Invariants:
 * - The watch starts "down" (not connected yet): `limitMs` counts from its creation until the first `ready`, and
 *   from each lost connection (`close`) until the next `ready`.
 * - `onUnreachable` runs once per outage, when it reaches `limitMs`; `onReachable` once when the client is ready
 *   again after that. Neither runs after `stop()`.
 * - It holds no handle of its own besides one `DelayedCall` while down; `stop()` cancels it.
 *
 * @module
 */
import type { Redis } from 'ioredis';
import { RemoteUnavailableError } from '../errors.js';
import { safeString } from '../safe-string.js';
import { realTimeScheduler } from '../time/real-time-scheduler.js';
import type { DelayedCall } from '../time/scheduler.js';

/** What a {@link RedisReachability} tells its owner. */
export interface ReachabilityListener {
  /** Redis has been out of reach for `limitMs`: end what waits on it with `error`. */
  onUnreachable(error: RemoteUnavailableError): void;
  /** Redis is reachable again after an outage that reached `limitMs`. */
  onReachable(): void;
}

/** Watches one client's connection (see the module's invariants). */
export class RedisReachability {
  readonly #client: Redis;
  readonly #limitMs: number;
  readonly #what: string;
  readonly #listener: ReachabilityListener;
  #up = false;
  /** The outage passed `limitMs` (and `onUnreachable` ran). */
  #unreachable = false;
  #timer: DelayedCall | undefined;
  /** The last connection error seen during this outage (for the error's message and cause). */
  #lastError: unknown;
  #stopped = false;
  readonly #downWaiters = new Set<() => void>();
  readonly #onReady = (): void => this.#ready();
  readonly #onClose = (): void => this.#down();
  readonly #onError = (error: unknown): void => {
    this.#lastError = error;
  };

  /**
   * @param client - the client to watch (not connected yet, or connecting).
   * @param limitMs - how long Redis may be out of reach before `onUnreachable`.
   * @param what - what the client reaches, for the error's message (e.g. `Redis at unix:///run/redis.sock`).
   * @param listener - told when the outage reaches `limitMs` and when it ends.
   */
  constructor(client: Redis, limitMs: number, what: string, listener: ReachabilityListener) {
    this.#client = client;
    this.#limitMs = limitMs;
    this.#what = what;
    this.#listener = listener;
    client.on('ready', this.#onReady);
    client.on('close', this.#onClose);
    client.on('error', this.#onError);
    if (client.status === 'ready') this.#up = true;
    else this.#arm();
  }

  /** Whether the client is connected and ready now. */
  get up(): boolean {
    return this.#up;
  }

  /** Whether the current outage has lasted `limitMs` (new work should fail at once). */
  get unreachable(): boolean {
    return this.#unreachable;
  }

  /**
   * The error for work that cannot reach Redis now.
   * @returns a `RemoteUnavailableError` naming the server, the limit and the last connection error.
   */
  error(): RemoteUnavailableError {
    const last = this.#lastError;
    const why = last === undefined ? 'no connection' : last instanceof Error ? last.message : safeString(last);
    return new RemoteUnavailableError(
      `${this.#what} could not be reached for ${this.#limitMs} ms (${why}); is redis-server running there?`,
      last === undefined ? undefined : { cause: last },
    );
  }

  /**
   * Resolves as soon as the connection is down (at once when it is): lets a graceful close stop waiting for
   * commands that can no longer complete.
   * @returns a promise that resolves when the client is not connected, or when the watch stops.
   */
  whenDown(): Promise<void> {
    if (!this.#up || this.#stopped) return Promise.resolve();
    return new Promise<void>((resolve) => this.#downWaiters.add(resolve));
  }

  /** Stops watching: no more callbacks, no timer. */
  stop(): void {
    this.#stopped = true;
    this.#cancelTimer();
    this.#client.off('ready', this.#onReady);
    this.#client.off('close', this.#onClose);
    this.#client.off('error', this.#onError);
    this.#releaseDownWaiters();
  }

  #ready(): void {
    this.#up = true;
    this.#lastError = undefined;
    this.#cancelTimer();
    if (this.#unreachable) {
      this.#unreachable = false;
      if (!this.#stopped) this.#listener.onReachable();
    }
  }

  #down(): void {
    if (!this.#up) return;
    this.#up = false;
    this.#releaseDownWaiters();
    if (!this.#stopped) this.#arm();
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#unreachable) return;
    this.#timer = realTimeScheduler.callLater(this.#limitMs, () => {
      this.#timer = undefined;
      if (this.#up || this.#stopped) return;
      this.#unreachable = true;
      this.#listener.onUnreachable(this.error());
    });
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) {
      this.#timer.cancel();
      this.#timer = undefined;
    }
  }

  #releaseDownWaiters(): void {
    for (const resolve of this.#downWaiters) resolve();
    this.#downWaiters.clear();
  }
}
