/**
 * `readValueLimit`: the largest value the Redis server takes in one command argument — its `proto-max-bulk-len` —
 * which bounds a job's arguments (the caller's `add`) and its result (the host's save).
 *
 * Why ask: a value over the limit is not refused politely. The server answers `ERR Protocol error: invalid bulk
 * length` and drops the connection; BullMQ then fails the job, which a caller reads as a dead host
 * (`WorkerCrashedError`, and a re-run with `retries` of a task that returned), and an `add` fails as if Redis were
 * out of reach. Knowing the limit, both sides refuse an oversized value before sending it, with `DataCloneError`.
 * The limit is 512 MiB by default (also the most a V8 string holds) and can be lowered down to 1 MiB; a server that
 * refuses `CONFIG GET` (managed services often do) is assumed to keep the default.
 *
 * When to ask: when it matters, not once. The limit changes under a live connection (`CONFIG SET`) and across a
 * restart with another configuration; a limit read at connect then refuses values the server now takes, or lets
 * through values it now refuses. No server takes less than 1 MiB ({@link minimumValueLimit}), so a value under
 * that is sent without asking, and a larger one costs one `CONFIG GET` just before it is sent
 * ({@link valueOverLimit}) — a round trip, next to a megabyte's transfer.
 *
 * When the read is wrong: a `CONFIG SET` landing between that read and the write, or a server that refuses
 * `CONFIG GET` (then read as the default) while its limit is lower. The server then refuses the write itself, and
 * that refusal is recognized ({@link isValueRefusal}) and ends as the same `DataCloneError`, never as an outage or a
 * foreign failure: arguments the server refused were not enqueued (the command never ran), and a result it refused
 * fails its job with the refusal as BullMQ's reason, which the caller reads (the task ran once, and is not re-run).
 * Nothing is retried: a second write would meet the same limit.
 *
 * @module
 */
import type { Redis } from 'ioredis';
import { LargeWriteLost, type LargeWriteConnection } from './large-write-connection.js';

/** Redis's default `proto-max-bulk-len` (bytes). */
export const defaultValueLimit = 512 * 1024 * 1024;

/** The least `proto-max-bulk-len` a Redis server accepts (bytes): a value that fits under it fits every server. */
export const minimumValueLimit = 1024 * 1024;

/** Room kept under the limit for what a job or a result carries besides the value (its JSON framing, names). */
export const valueLimitSlack = 4096;

/**
 * Reads the server's `proto-max-bulk-len`.
 * @param client - a connected client of the server.
 * @returns the limit in bytes; {@link defaultValueLimit} when the server does not say.
 */
export async function readValueLimit(client: Redis): Promise<number> {
  try {
    const reply = (await client.config('GET', 'proto-max-bulk-len')) as unknown;
    const value = Array.isArray(reply) ? Number(reply[1]) : Number.NaN;
    return Number.isFinite(value) && value > 0 ? value : defaultValueLimit;
  } catch {
    return defaultValueLimit;
  }
}

/**
 * Whether a serialized value fits under the limit (with {@link valueLimitSlack} kept for its framing).
 * @param size - the value's length as sent (base64 characters are bytes).
 * @param limit - from {@link readValueLimit}.
 */
export function fitsValueLimit(size: number, limit: number): boolean {
  return size + valueLimitSlack <= limit;
}

/**
 * Whether a serialized value is over the server's limit, asking the server only when the value is over
 * {@link minimumValueLimit}.
 * @param size - the value's length as sent.
 * @param client - a client of the server the value goes to.
 * @returns the server's limit when the value is over it; `undefined` when it fits.
 */
export async function valueOverLimit(size: number, client: Redis): Promise<number | undefined> {
  if (fitsValueLimit(size, minimumValueLimit)) return undefined;
  const limit = await readValueLimit(client);
  return fitsValueLimit(size, limit) ? undefined : limit;
}

/**
 * Whether `text` (a Redis error's message, a job's failure reason) is the server refusing a value over its
 * `proto-max-bulk-len`: it answers this protocol error and drops the connection.
 * @param text - the message or reason.
 */
export function isValueRefusal(text: string): boolean {
  return text.includes('Protocol error: invalid bulk length');
}

/**
 * Whether the server takes a value of `size` bytes, asked by sending one: `EXISTS` of a key name that long, which
 * stores nothing, while the server reads the whole argument and refuses it past its limit as it would a value.
 *
 * Why: a host's result over 1 MiB is saved by BullMQ on a client that re-sends a write its connection lost — when
 * the server refuses the result (and its answer is lost with the connection, see `large-write-connection.ts`), again
 * and again. A result the server refuses here never reaches that client. It costs one more transfer of the value's
 * size, only for values over 1 MiB that the limit read said fit.
 * @param size - the value's length as sent.
 * @param keyPrefix - a key prefix the client may read (`<prefix>:<queue>:`), for servers whose users are limited to
 *   their queue's keys.
 * @param connection - the connection to send it on (at most twice).
 * @returns false when the server refused it (its answer, or its connection dropped each time); true otherwise,
 *   including when the question could not be asked (another error, such as a user not allowed `EXISTS`).
 */
export async function serverTakes(size: number, keyPrefix: string, connection: LargeWriteConnection): Promise<boolean> {
  const name = `${keyPrefix}greenreactor:value-trial:`.padEnd(size + valueLimitSlack, 'x');
  try {
    await connection.send(() => connection.client.exists(name));
    return true;
  } catch (error) {
    return !(error instanceof LargeWriteLost || (error instanceof Error && isValueRefusal(error.message)));
  }
}
