/**
 * Names what went wrong when Piscina rejects a task.
 *
 * The worker entry reports every task outcome as a reply, so a rejection from Piscina is never the task's own
 * error: it is a full queue, arguments that could not be posted, a worker that died, or the pool shutting down.
 * Piscina signals these with plain `Error`s; this turns them into greenreactor's named errors at the boundary
 * (keeping the original as `cause`).
 *
 * @module
 */
import type { CarriedContext } from '../context/context-carrier.js';
import type { CloneReach } from './clone-mark.js';
import { safeString } from '../safe-string.js';
import { ContextCarrierError, DataCloneError, QueueFullError, ReactorStoppedError, WorkerCrashedError } from '../errors.js';

/** What a Piscina rejection means; only `'crashed'` may be retried. */
export type DispatchFaultKind = 'queue-full' | 'data-clone' | 'crashed' | 'closed';

/** A Piscina rejection, named. */
export interface DispatchFault {
  readonly kind: DispatchFaultKind;
  readonly error: Error;
}

function cloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/** The carrier whose captured value could not be cloned, if one of them is why the message could not be posted. */
function uncloneableCarrier(context: CarriedContext | undefined): string | undefined {
  if (context === undefined) return undefined;
  return Object.keys(context).find((name) => !cloneable(context[name]));
}

/** A field of a rejection, which may come from user code (an argument's getter threw it): never throws. */
function field(e: object, key: string): unknown {
  try {
    return (e as unknown as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Piscina's rejection of a worker's tasks when it exits (`process.exit`, a terminate) and Node's out-of-memory code. */
const exitMessage = /^worker exited with code: (-?\d+)$/;
const outOfMemoryCode = 'ERR_WORKER_OUT_OF_MEMORY';

/**
 * Whether a rejection of a message none of whose calls started may be its clone's refusal: anything but a worker's
 * exit or out-of-memory death, a full queue or a closing pool. A worker's uncaught error cannot be told from an
 * argument's getter that throws as the message is cloned (either arrives as the error itself).
 * @param error - what Piscina rejected with.
 */
export function mayBeRefusal(error: unknown): boolean {
  if (classifyDispatchFault(error, '', [], 0, undefined, false).kind !== 'data-clone') return false; // full, or closed
  if (typeof error !== 'object' || error === null) return true;
  return field(error, 'code') !== outOfMemoryCode && !exitMessage.test(safeString(field(error, 'message')));
}

function firstUncloneable(args: readonly unknown[]): number {
  for (let i = 0; i < args.length; i++) if (!cloneable(args[i])) return i;
  return -1;
}

/**
 * Whether a call's message could be posted: its arguments and carried context structured-clone (tried, so only
 * after a refusal: a batch refused as a whole asks it of each call, to fail only the ones at fault).
 * @param args - the call's arguments.
 * @param context - the context its carriers captured.
 * @returns false when an argument or a carried value cannot be cloned.
 */
export function isSendable(args: readonly unknown[], context?: CarriedContext): boolean {
  return firstUncloneable(args) < 0 && uncloneableCarrier(context) === undefined;
}

/**
 * Classifies a Piscina rejection of task `name` and builds the error its Deferred errbacks with.
 * @param error - what Piscina rejected with.
 * @param name - the task's name.
 * @param args - the task's arguments (to find the one that could not be cloned).
 * @param maxQueue - the pool's limit, for the message.
 * @param context - the context its carriers captured (to blame a carrier when no argument is at fault).
 * @param posted - whether the message was cloned and posted, when the pool knows it: `true` (the call claimed its
 *   slot in a worker, or its message's trailing `TaskRequest.cloned` was read), `false` (that accessor was not
 *   read: the clone failed before it), `undefined` (not known: the arguments are tried again to tell).
 * @param reach - where its marked message's clone stopped (`clone-mark.ts`), when `posted` is false and it is known:
 *   the argument or carried value it stopped in is the one blamed (it may clone fine when tried again).
 * @returns the fault.
 */
export function classifyDispatchFault(
  error: unknown,
  name: string,
  args: readonly unknown[],
  maxQueue: number,
  context?: CarriedContext,
  posted?: boolean,
  reach?: CloneReach,
): DispatchFault {
  // Not `instanceof Error`: a DOMException (DataCloneError) or an error from another realm is still an error here.
  const e = (typeof error === 'object' && error !== null ? error : new Error(safeString(error))) as Error;
  const message = safeString(field(e, 'message'));
  const code = field(e, 'code');
  if (message === 'Task queue is at limit' || message === 'No task queue available and all Workers are busy') {
    return {
      kind: 'queue-full',
      error: new QueueFullError(`Task \`${name}\` was refused: the thread pool queue is full (maxQueue ${maxQueue})`, { cause: e }),
    };
  }
  if (message === 'Terminating worker thread' || message === 'pool is closed' || field(e, 'name') === 'AbortError') {
    return { kind: 'closed', error: new ReactorStoppedError(`Task \`${name}\` did not run: the thread pool closed`, { cause: e }) };
  }
  const exited = exitMessage.exec(message);
  const outOfMemory = code === outOfMemoryCode;
  // Node refuses an object that needs transfer (a MessagePort) but is not listed with a TypeError, not a DataCloneError.
  // A getter or Proxy trap of an argument (or a carried value) that throws as Piscina clones the message rejects the
  // call with its own error, as a worker's uncaught error would: an error that is no exit nor out-of-memory is a
  // clone fault when the arguments cannot be cloned (tried only then: a crash is rare, a clone costs).
  // Known either way (`posted`), nothing is guessed: a message that reached a worker cannot have failed its clone
  // (its arguments may have turned uncloneable since: the crash is still a crash), and one whose clone stopped short
  // of its end failed it (a getter that throws only in the clone: trying the arguments again would not see it).
  const cloneFault =
    posted === undefined
      ? field(e, 'name') === 'DataCloneError' ||
        code === 'ERR_MISSING_TRANSFERABLE_IN_TRANSFER_LIST' ||
        (exited === null && !outOfMemory && (firstUncloneable(args) >= 0 || uncloneableCarrier(context) !== undefined))
      : !posted;
  if (cloneFault) {
    // Where the clone stopped, when it is known (a marked message): else the first value that does not clone now.
    const stopped = reach !== undefined && (reach.carrier !== undefined || reach.argumentIndex !== undefined);
    const index = stopped ? (reach.carrier === undefined ? reach.argumentIndex! : -1) : firstUncloneable(args);
    const carrier = stopped ? reach.carrier : index < 0 ? uncloneableCarrier(context) : undefined;
    if (carrier !== undefined) {
      return {
        kind: 'data-clone',
        error: new ContextCarrierError(
          `Cannot send task \`${name}\` to a worker: the value context carrier \`${carrier}\` captured cannot be structured-cloned ` +
            `(${message}); nothing was sent. Its \`capture\` must return plain data (or \`undefined\` to carry nothing)`,
          { carrier },
          { cause: e },
        ),
      };
    }
    const where = index < 0 ? 'its arguments (or transfer list)' : `argument ${index}`;
    return {
      kind: 'data-clone',
      error: new DataCloneError(
        `Cannot send task \`${name}\` to a worker: ${where} cannot be structured-cloned (${message}); nothing was sent. ` +
          'Pass plain data, typed arrays or buffers (functions, objects with methods and sockets cannot cross threads; ' +
            'a MessagePort must be listed by the task\'s `transfer`)',
        { task: name, ...(index < 0 ? {} : { argumentIndex: index }) },
        { cause: e },
      ),
    };
  }
  const exitCode = exited === null ? 1 : Number(exited[1]);
  const why = outOfMemory
    ? 'ran out of memory (resourceLimits)'
    : exited === null
      ? `died of an uncaught error: ${message}`
      : `exited with code ${exitCode}`;
  return {
    kind: 'crashed',
    error: new WorkerCrashedError(`The worker running task \`${name}\` ${why}`, { exitCode, task: name }, { cause: e }),
  };
}
