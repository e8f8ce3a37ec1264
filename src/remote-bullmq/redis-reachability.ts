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
 * - A connection that stays open but gets no answer is an outage too: a server paused (SIGSTOP), hung, or behind a
 *   network partition that leaves the TCP connection half-open (no `close` for many minutes). While the owner says
 *   work waits on Redis (`busy()`, after `probe()`), one PING is always out; one unanswered for `limitMs` starts the
 *   outage, its answer ends it. (ioredis has no per-command timeout that BullMQ's blocking reads would tolerate.)
 * - `onUnreachable` runs once per outage, when it reaches `limitMs`; `onReachable` once when the client is ready
 *   (or answers) again after that. Neither runs after `stop()`.
 * - It holds no handle of its own besides one `DelayedCall` while down and one while probing; `stop()` cancels them.
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
  /**
   * Whether work waits on Redis now: while it does, after {@link RedisReachability.probe}, the watch checks that
   * Redis answers. Absent: never probes.
   */
  busy?(): boolean;
}

/** The longest pause (ms) between one probe's answer and the next PING. */
const maxProbePauseMs = 1000;

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
  /** A probe PING is out, unanswered. */
  #pingOut = false;
  /** The next probe, or the check that the PING out answered within `limitMs`. */
  #probeTimer: DelayedCall | undefined;
  /** The connection is open but a PING went unanswered for `limitMs`. */
  #silent = false;
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
    if (this.#silent) {
      return new RemoteUnavailableError(
        `${this.#what} did not answer for ${this.#limitMs} ms (connected, but no reply to PING); is redis-server paused or overloaded, or the network partitioned?`,
      );
    }
    const last = this.#lastError;
    const why = last === undefined ? 'no connection' : last instanceof Error ? last.message : safeString(last);
    return new RemoteUnavailableError(
      `${this.#what} could not be reached for ${this.#limitMs} ms (${why}); is redis-server running there?`,
      last === undefined ? undefined : { cause: last },
    );
  }

  /**
   * Resolves as soon as the connection is down or silent (at once when it is): lets a graceful close stop waiting
   * for commands that can no longer complete (probe while closing, so that a silent server is noticed).
   * @returns a promise that resolves when the client is not connected, or did not answer a probe for `limitMs`, or
   *   when the watch stops.
   */
  whenDown(): Promise<void> {
    if (!this.#up || this.#silent || this.#stopped) return Promise.resolve();
    return new Promise<void>((resolve) => this.#downWaiters.add(resolve));
  }

  /**
   * Starts checking that Redis answers, unless already checking: one PING out at a time while `busy()` holds, the
   * next one up to 1 s after the last answer. Call it whenever new work starts waiting on Redis; the probe stops by
   * itself once nothing waits.
   */
  probe(): void {
    if (this.#stopped || this.#pingOut || this.#probeTimer !== undefined) return;
    if (this.#listener.busy?.() !== true) return;
    this.#pingOut = true;
    this.#client.ping().then(this.#answered, () => {
      // Rejected only once the client was ended (stop, close): no answer is coming, and none is needed.
      this.#pingOut = false;
    });
    this.#armSilenceCheck();
  }

  /** Checks, `limitMs` from now, that the PING out was answered. */
  #armSilenceCheck(): void {
    this.#probeTimer = realTimeScheduler.callLater(this.#limitMs, () => {
      // Confirm on a later turn of the event loop: a caller's loop that was blocked for `limitMs` may have the
      // answer waiting in its socket, read before that turn's timers.
      this.#probeTimer = realTimeScheduler.callLater(1, () => {
        this.#probeTimer = undefined;
        // Not connected: the lost connection is the outage (its own timer), and the PING is sent again on
        // reconnection, where its check is armed again.
        if (this.#pingOut && this.#up && !this.#stopped) this.#fallSilent();
      });
    });
  }

  /** Stops watching: no more callbacks, no timer. */
  stop(): void {
    this.#stopped = true;
    this.#cancelTimer();
    this.#cancelProbe();
    this.#client.off('ready', this.#onReady);
    this.#client.off('close', this.#onClose);
    this.#client.off('error', this.#onError);
    this.#releaseDownWaiters();
  }

  readonly #answered = (): void => {
    this.#pingOut = false;
    this.#cancelProbe();
    if (this.#stopped) return;
    if (this.#silent) {
      this.#silent = false;
      if (this.#up && this.#unreachable) {
        this.#unreachable = false;
        this.#listener.onReachable();
      }
    }
    if (this.#listener.busy?.() !== true) return;
    this.#probeTimer = realTimeScheduler.callLater(Math.min(maxProbePauseMs, this.#limitMs / 2), () => {
      this.#probeTimer = undefined;
      this.probe();
    });
  };

  /** A PING went unanswered for `limitMs` on an open connection: an outage, as if the connection had been lost. */
  #fallSilent(): void {
    this.#silent = true;
    this.#releaseDownWaiters();
    if (this.#unreachable) return;
    this.#cancelTimer();
    this.#unreachable = true;
    this.#listener.onUnreachable(this.error());
  }

  #ready(): void {
    this.#up = true;
    this.#silent = false;
    this.#lastError = undefined;
    this.#cancelTimer();
    if (this.#pingOut && this.#probeTimer === undefined && !this.#stopped) this.#armSilenceCheck();
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

  #cancelProbe(): void {
    if (this.#probeTimer !== undefined) {
      this.#probeTimer.cancel();
      this.#probeTimer = undefined;
    }
  }

  #releaseDownWaiters(): void {
    for (const resolve of this.#downWaiters) resolve();
    this.#downWaiters.clear();
  }
}
