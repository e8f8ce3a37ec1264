/**
 * The errors the caller's backend ends a remote call with when the call never reaches a host, or its job is gone:
 * arguments or carried context `node:v8` cannot serialize, a job over what the server takes in one value, a job the
 * server lost (never re-run: see {@link lostJob}). Each names the task and says what was (not) enqueued, so the
 * Deferred carries the whole story.
 *
 * @module
 */
import type { CarriedContext } from '../context/context-carrier.js';
import { ContextCarrierError, DataCloneError, RemoteUnavailableError } from '../errors.js';
import { thrownMessage } from '../task/thrown-message.js';
import { encodeValue } from './remote-wire.js';

/**
 * The error a call whose job is gone from Redis ends with: the server restarted without its data (or failed over to
 * a replica that never had the job, or was flushed), or someone removed the job.
 *
 * Why `RemoteUnavailableError` and never a re-run: the job's whole record went with it — whether a host took it, and
 * the mark its host writes when the task returned (see returned-mark.ts) — so the task may have run in full, in part,
 * or not at all. A re-run under `retries` could repeat a task that returned (SPEC §4, §11: never after the task
 * returned); and it was no host that died (`WorkerCrashedError`), the engine lost its state. The same error as Redis
 * out of reach, with the same advice: retry only an idempotent task.
 */
export function lostJob(name: string, jobId: string, queueName: string): RemoteUnavailableError {
  return new RemoteUnavailableError(
    `Redis lost job ${jobId} of task \`${name}\` (queue ${queueName}): the server restarted without its data, failed over or was flushed, ` +
      'or the job was removed. Its outcome is unknown (the task may have run in full, in part, or not at all), so it is never re-run, whatever ' +
      'its retries: the record that its task returned was lost with it. Retry the call yourself only if the task is idempotent',
  );
}

/**
 * The `DataCloneError` for arguments `node:v8` could not serialize, naming the first bad one.
 *
 * `cause` is whatever the serialization threw, which is whatever a getter of an argument threw (`node:v8` rethrows
 * it): a revoked Proxy, an object whose `message` getter throws. Described with `thrownMessage`, which never throws,
 * so that the call errbacks this error instead of `deferToRemote` throwing while building it.
 */
export function cloneError(name: string, args: readonly unknown[], cause: unknown): DataCloneError {
  const index = args.findIndex((arg) => !serializable(arg));
  const where = index < 0 ? 'its arguments' : `argument ${index}`;
  return new DataCloneError(
    `Cannot send task \`${name}\` to a remote host: ${where} cannot be serialized (${thrownMessage(cause)}); nothing was enqueued. ` +
      'Pass plain data, typed arrays or buffers (functions, symbols, SharedArrayBuffers and sockets cannot cross machines)',
    { task: name, ...(index < 0 ? {} : { argumentIndex: index }) },
    { cause },
  );
}

/** The `DataCloneError` for a job whose arguments (and carried context) exceed what the server takes in one value. */
export function tooLarge(name: string, size: number, limit: number | undefined, refusal?: Error, sent?: number): DataCloneError {
  const lost = sent === undefined ? '' : `, dropping the connection each of the ${sent} times they were sent`;
  const over =
    limit === undefined
      ? `over what this Redis server takes in one value (proto-max-bulk-len: it refused them${lost})`
      : `over the ${limit} bytes this Redis server takes in one value (proto-max-bulk-len)`;
  return new DataCloneError(
    `Cannot send task \`${name}\` to a remote host: its arguments are ${size} bytes serialized, ${over}; nothing was enqueued. ` +
      'Pass a reference to large data (a key, a URL) instead',
    { task: name },
    refusal === undefined ? undefined : { cause: refusal },
  );
}

/** The error for carried context `node:v8` cannot serialize: which carrier's value, for which task (`cause` described as for {@link cloneError}). */
export function carrierCloneError(name: string, carried: CarriedContext, cause: unknown): ContextCarrierError {
  const carrier = Object.keys(carried).find((key) => !serializable(carried[key]));
  return new ContextCarrierError(
    `Cannot send task \`${name}\` to a remote host: the value context carrier \`${carrier ?? '?'}\` captured cannot be serialized ` +
      `(${thrownMessage(cause)}); nothing was enqueued. Capture plain data (a trace header, an id), not live objects`,
    { carrier: carrier ?? '' },
    { cause },
  );
}

/** Whether `node:v8` can serialize `value` (to name the argument or carrier that cannot travel). */
function serializable(value: unknown): boolean {
  try {
    encodeValue(value);
    return true;
  } catch {
    return false;
  }
}
