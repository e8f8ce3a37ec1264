/**
 * `HostDirectory`: which live hosts serve which tasks on a queue, kept in Redis so that a host handed a job for a
 * task it does not serve can tell whether another host does.
 *
 * Why: BullMQ hands any job of a queue to any worker of it; it has no routing by job name. Hosts with different
 * task sets on one queue (a rolling deployment adding a task, or hosts split by dependency) each took jobs only the
 * other serves and failed them with `TaskNotFoundError`, while the right host sat idle. With the directory, such a
 * job is given back to the queue (delayed a little, so another host takes it) as long as a live host advertises its
 * task, and fails with `TaskNotFoundError` only when none does.
 *
 * Invariants:
 * - One hash per queue (`hostsKey`): a field per host (a random id), whose value is `{ tasks, until }` JSON; the
 *   host rewrites it every third of `ttlMs` and deletes it on close. An entry whose `until` passed is a host that
 *   died: ignored, and deleted by the next reader.
 * - Never throws into the processor: a directory that cannot be read counts as "no other host serves it" (the job
 *   fails with `TaskNotFoundError`, as it did before the directory), so a job is never bounced without a live peer.
 * - A directory Redis lost (restarted without its data, failed over, flushed) is relearned, never read as "nobody
 *   serves it": a host that finds its own entry gone — when it reads the directory, or rewrites its entry (on its
 *   refresh, and as soon as its connection is back: {@link HostDirectory.refresh}) — writes it back and stamps the
 *   directory lost (`~lost`, `Date.now()`). For {@link relearnMs} after that stamp every live host has rewritten its
 *   entry, so until then a task missing from the directory may still be served: the job is given back, not failed.
 *
 * @module
 */
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { realTimeScheduler } from '../time/real-time-scheduler.js';
import type { DelayedCall } from '../time/scheduler.js';

/** How long (ms) an entry lives without a refresh: a dead host's tasks stop being advertised this long after it died. */
export const hostEntryTtlMs = 30_000;

/** The directory's field holding when a host last found it lost (its own entry gone), `Date.now()` as text. */
const lostField = '~lost';

/**
 * How long (ms) after the directory was found lost a task missing from it may still be served: every live host
 * rewrites its entry within one refresh period (a third of {@link hostEntryTtlMs}), half again for a timer late under
 * load — and at once when its connection comes back.
 */
export const relearnMs = (hostEntryTtlMs / 3) * 1.5;

/** One host's entry. */
interface HostEntry {
  readonly tasks: readonly string[];
  /** `Date.now()` past which the entry is stale. */
  readonly until: number;
}

/** This host's entry in its queue's directory. */
export class HostDirectory {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #id = randomUUID();
  readonly #tasks: readonly string[];
  readonly #report: (error: unknown) => void;
  #refresh: DelayedCall | undefined;
  /** Its first entry was written: from then on, an entry found missing means the directory was lost. */
  #joined = false;
  #left = false;

  /**
   * @param redis - a client of the queue's server (commands only, never blocking).
   * @param key - the directory's hash key (`hostsKey`).
   * @param tasks - the export names this host serves.
   * @param report - where a failed refresh goes.
   */
  constructor(redis: Redis, key: string, tasks: readonly string[], report: (error: unknown) => void) {
    this.#redis = redis;
    this.#key = key;
    this.#tasks = tasks;
    this.#report = report;
  }

  /** Writes this host's entry, and keeps it fresh until {@link leave}. */
  async join(): Promise<void> {
    await this.#write();
    this.#joined = true;
    this.#arm();
  }

  /**
   * Rewrites this host's entry now (its connection came back: Redis may have restarted without its data). Never
   * rejects: a failed write waits for the next refresh, which reports it.
   */
  refresh(): void {
    if (this.#joined && !this.#left) this.#write().catch(() => undefined);
  }

  /**
   * Whether a live host other than this one may serve `task`: one advertises it, or the directory was found lost less
   * than {@link relearnMs} ago (the hosts are still rewriting their entries).
   * @param task - the export name.
   * @returns false when none does, or the directory cannot be read.
   */
  async otherServes(task: string): Promise<boolean> {
    let entries: Record<string, string>;
    try {
      entries = await this.#redis.hgetall(this.#key);
    } catch {
      return false;
    }
    const now = Date.now();
    const stale: string[] = [];
    let served = false;
    let lostAt = Number.NaN;
    for (const [id, text] of Object.entries(entries)) {
      if (id === lostField) {
        lostAt = Number(text);
        continue;
      }
      const entry = parseEntry(text);
      if (entry === undefined || entry.until <= now) stale.push(id);
      else if (id !== this.#id && entry.tasks.includes(task)) served = true;
    }
    if (stale.length > 0) await this.#redis.hdel(this.#key, ...stale).catch(() => 0);
    if (served) return true;
    if (this.#joined && !this.#left && entries[this.#id] === undefined) {
      // Its own entry is gone: the directory was lost, and so may be the entry of a host that serves the task.
      await this.#write().catch(() => undefined);
      return true;
    }
    return now - lostAt < relearnMs; // NaN (never lost): false
  }

  /** Stops refreshing and deletes this host's entry (issued before the client's quit, so it goes first). */
  leave(): Promise<unknown> {
    this.#left = true;
    this.#refresh?.cancel();
    this.#refresh = undefined;
    return this.#redis.hdel(this.#key, this.#id).catch(() => 0);
  }

  /** Writes this host's entry; once joined, an entry that was missing (HSET added it) stamps the directory lost. */
  async #write(): Promise<void> {
    const entry: HostEntry = { tasks: this.#tasks, until: Date.now() + hostEntryTtlMs };
    const added = await this.#redis.hset(this.#key, this.#id, JSON.stringify(entry));
    if (added === 1 && this.#joined) await this.#redis.hset(this.#key, lostField, String(Date.now()));
  }

  #arm(): void {
    if (this.#left) return;
    this.#refresh = realTimeScheduler.callLater(hostEntryTtlMs / 3, () => {
      this.#refresh = undefined;
      if (this.#left) return;
      this.#write().then(
        () => this.#arm(),
        (error: unknown) => {
          this.#report(error);
          this.#arm();
        },
      );
    });
  }
}

function parseEntry(text: string): HostEntry | undefined {
  try {
    const value = JSON.parse(text) as Partial<HostEntry> | null;
    if (value === null || typeof value !== 'object' || !Array.isArray(value.tasks) || typeof value.until !== 'number') return undefined;
    return { tasks: value.tasks.filter((t): t is string => typeof t === 'string'), until: value.until };
  } catch {
    return undefined;
  }
}
