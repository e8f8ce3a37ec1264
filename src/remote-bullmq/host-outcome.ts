/**
 * `valueOutcome` / `errorOutcome`: how a worker host turns the end of a task into the {@link RemoteOutcome} it saves
 * as the job's result — always one that fits the wire.
 *
 * Invariants:
 * - Neither throws. A host's processor that throws (or saves a value the server refuses) fails the job at BullMQ
 *   level, which the caller reads as a foreign worker's failure (`DataCloneError` quoting BullMQ's reason), not as
 *   the task's own value or error. So whatever the task's value or error is, the outcome is a small, encodable `ok`
 *   or `error`.
 * - A value or error that cannot be encoded, or whose encoding is over the server's `proto-max-bulk-len` (see
 *   `redis-value-limit.ts`, read when the value is over 1 MiB), becomes a `DataCloneError` naming the task and saying why; for an error, the message
 *   also names the thrown error's class and code and quotes the start of its message, so the caller still learns
 *   what failed.
 *
 * @module
 */
import { DataCloneError } from '../errors.js';
import { safeString } from '../safe-string.js';
import { serializeError, type SerializedError } from '../threads/error-transport.js';
import { encodeError, encodeValue, quotedTextLength, quoteStart, type RemoteOutcome, type RemoteTimes } from './remote-wire.js';

/**
 * Tells whether a value of `size` bytes serialized is over the server's value limit: the limit when it is (read from
 * the server), `'refused'` when the server refused a value that large (its limit unknown), else `undefined`; never
 * rejects (`valueOverLimit`, then `serverTakes`, on the host's clients).
 */
export type ValueLimitCheck = (size: number) => Promise<number | 'refused' | undefined>;

/**
 * The outcome of a task that returned `value`.
 * @param task - the task's name (for messages).
 * @param value - what it returned.
 * @param overLimit - tells whether a serialized size is over the server's value limit (`valueOverLimit`).
 * @param times - the job's wait and run times.
 * @returns (never rejects) an `ok` outcome, or an `error` outcome with `DataCloneError` when the value cannot travel.
 */
export async function valueOutcome(task: string, value: unknown, overLimit: ValueLimitCheck, times: RemoteTimes): Promise<RemoteOutcome> {
  let encoded: string;
  try {
    encoded = encodeValue(value);
  } catch (error) {
    return cloneFailure(new DataCloneError(`The result of task \`${task}\` could not be cloned (${reason(error)}); return plain data`, { task }), times);
  }
  // Over the server's limit, saving the result would fail the job at BullMQ level (see redis-value-limit.ts).
  const limit = await overLimit(encoded.length);
  if (limit !== undefined) {
    return cloneFailure(
      new DataCloneError(
        `The result of task \`${task}\` is ${encoded.length} bytes serialized, ${over(limit)}; the task ran once and is not re-run. ` +
          'Return less, or store it elsewhere and return a reference',
        { task },
      ),
      times,
    );
  }
  return { s: 'ok', v: encoded, ...times };
}

/**
 * The outcome of a task that threw `thrown` (or could not be found or set up).
 * @param task - the task's name (for messages).
 * @param thrown - what it threw.
 * @param overLimit - tells whether a serialized size is over the server's value limit (`valueOverLimit`).
 * @param times - the job's wait and run times.
 * @returns (never rejects) an `error` outcome carrying the thrown error, or `DataCloneError` when that cannot travel.
 */
export async function errorOutcome(task: string, thrown: unknown, overLimit: ValueLimitCheck, times: RemoteTimes): Promise<RemoteOutcome> {
  let serialized: SerializedError | undefined;
  let encoded: string;
  try {
    serialized = serializeError(thrown);
    encoded = encodeError(serialized);
  } catch (error) {
    return cloneFailure(new DataCloneError(`The error task \`${task}\` threw${describe(serialized)} could not be serialized (${reason(error)})`, { task }), times);
  }
  const limit = await overLimit(encoded.length);
  if (limit !== undefined) {
    return cloneFailure(
      new DataCloneError(
        `The error task \`${task}\` threw${describe(serialized)} is ${encoded.length} bytes serialized, ${over(limit)}; ` +
          `keep large data out of errors. Its message began: ${quoteStart(serialized.message)}`,
        { task },
      ),
      times,
    );
  }
  return { s: 'error', e: encoded, ...times };
}

/** `over the N bytes this Redis server takes in one value (proto-max-bulk-len)`, or its refusal when N is unknown. */
function over(limit: number | 'refused'): string {
  return limit === 'refused'
    ? 'over what this Redis server takes in one value (proto-max-bulk-len: it refused a value that large)'
    : `over the ${limit} bytes this Redis server takes in one value (proto-max-bulk-len)`;
}

/** The `error` outcome of a `DataCloneError` built here (small, plain: it always encodes). */
function cloneFailure(error: DataCloneError, times: RemoteTimes): RemoteOutcome {
  return { s: 'error', e: encodeError(serializeError(error)), ...times };
}

/** ` (Name, code X)` for an error, ` (a thrown string)` for a non-error, nothing when unknown. */
function describe(serialized: SerializedError | undefined): string {
  if (serialized === undefined) return '';
  if (!serialized.isError) return ` (a thrown ${typeof serialized.value === 'string' ? 'string' : 'value'})`;
  const code = typeof serialized.code === 'string' || typeof serialized.code === 'number' ? `, code ${String(serialized.code)}` : '';
  return ` (${serialized.name.slice(0, quotedTextLength)}${code.slice(0, quotedTextLength)})`;
}

function reason(error: unknown): string {
  return safeString((error as Error | null)?.message ?? error).slice(0, quotedTextLength);
}
