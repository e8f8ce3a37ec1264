/**
 * Calls from a worker thread back into functions the main thread `expose`d.
 *
 * `blockingCallFromThread` posts the call on the worker's `parentPort`, then sleeps in `Atomics.wait` on a shared
 * word until the main thread bumps it, and reads the reply synchronously with `receiveMessageOnPort` — so it works
 * inside a synchronous task, with no event loop. Replies carry the call's id: a stale reply (from a call whose
 * waiter already gave up) is dropped, never taken as the answer to a later call.
 *
 * @module
 */
import { isMainThread, MessageChannel, parentPort, receiveMessageOnPort, threadId } from 'node:worker_threads';
import { reviveError } from '../threads/error-transport.js';
import { callTag, type ThreadCallReply, type ThreadCallRequest } from '../threads/wire.js';
import { cloneReach, withCloneMark, type CloneReach } from '../threads/clone-mark.js';
import { ContextCarrierError, DataCloneError } from '../errors.js';
import { safeString } from '../safe-string.js';
import { workerState, type CallChannel, type WorkerState } from './worker-state.js';
import { captureCarriedContext } from '../context/context-carrier.js';

/**
 * This worker's state, for a call back into the main thread.
 * @param what - the API called.
 * @param why - what calling it outside a worker would do (each says its own: the blocking one would deadlock the
 *   reactor; the other has no main thread to send to).
 * @throws TypeError outside a greenreactor worker thread (on the main thread, or in a thread that is not a pool's).
 */
function requireWorker(what: string, why: string): WorkerState {
  const state = workerState();
  if (isMainThread || state === undefined || parentPort === null) {
    throw new TypeError(`${what}() must be called inside a greenreactor worker thread (a task run by deferToThread): ${why}. Call the function directly there.`);
  }
  return state;
}

function post(state: WorkerState, name: string, args: unknown[], wait: boolean): { channel: CallChannel; id: number } {
  const context = captureCarriedContext(); // first: a carrier that throws leaves no half-made channel behind
  let channel = state.channel;
  let fresh: { replies: import('node:worker_threads').MessagePort; wake: Int32Array } | undefined;
  if (channel === undefined) {
    const { port1, port2 } = new MessageChannel();
    const wake = new Int32Array(new SharedArrayBuffer(4));
    channel = { replies: port1, wake, nextId: 1 };
    state.channel = channel;
    fresh = { replies: port2, wake };
  }
  const id = channel.nextId++;
  const request: ThreadCallRequest = {
    tag: callTag,
    id,
    threadId,
    name,
    args,
    wait,
    ...(context === undefined ? {} : { context }),
    ...(fresh === undefined ? {} : { channel: fresh }),
  };
  const transfer = fresh === undefined ? [] : [fresh.replies];
  try {
    parentPort!.postMessage(request, transfer);
  } catch {
    // Refused by the clone (nothing was sent, the reply port was not moved): sent again with the clone mark, which
    // tells the argument or carried value it stops in, even one whose getter throws only in the clone.
    const marked = withCloneMark({ ...request });
    try {
      parentPort!.postMessage(marked, transfer);
    } catch (error) {
      if (fresh !== undefined) state.channel = undefined;
      throw refusal(name, error, cloneReach(marked));
    }
  }
  return { channel, id };
}

/** The error of a call back whose message the clone refused: its carrier's, or its argument's. */
function refusal(name: string, error: unknown, reach: CloneReach): Error {
  let why: string;
  try {
    why = safeString(error instanceof Error ? error.message : error);
  } catch {
    why = 'the clone threw'; // a hostile error (its message getter throws)
  }
  if (reach.carrier !== undefined) {
    return new ContextCarrierError(
      `The call to \`${name}\` cannot carry its context to the main thread: the value context carrier \`${reach.carrier}\` ` +
        `captured cannot be structured-cloned (${why}); nothing was sent. Its \`capture\` must return plain data (or \`undefined\` to carry nothing)`,
      { carrier: reach.carrier },
      { cause: error },
    );
  }
  const what = reach.argumentIndex === undefined ? 'Arguments' : `Argument ${reach.argumentIndex}`;
  return new DataCloneError(
    `${what} of the call to \`${name}\` cannot be cloned to the main thread: ${why}`,
    reach.argumentIndex === undefined ? {} : { argumentIndex: reach.argumentIndex },
    { cause: error },
  );
}

/**
 * Calls the main-thread function exposed as `name` and blocks this worker until its result is ready.
 *
 * The Twisted `blockingCallFromThread` for workers: the function runs in the reactor's thread (with access to its
 * state, sockets, database handles), may return a value, a Promise or a Deferred, and this call returns its value
 * or throws its error. It blocks only this worker; the event loop keeps running.
 *
 * @param name - the name given to `reactor.expose(name, fn)`.
 * @param args - structured-cloneable arguments.
 * @returns the function's (awaited) result.
 * @throws TypeError on the main thread (it would deadlock) or when nothing is exposed as `name`;
 *   ReactorStoppedError when the reactor stops while the call waits; whatever the function threw.
 * @example
 * ```ts
 * const row = blockingCallFromThread<Row>('db.get', id);
 * ```
 */
export function blockingCallFromThread<R = unknown>(name: string, ...args: unknown[]): R {
  const state = requireWorker('blockingCallFromThread', 'outside one it would block the very thread that must run the exposed function (a deadlock), so it calls nothing');
  const { channel, id } = post(state, name, args, true);
  for (;;) {
    // Read the word before draining: a reply posted after the drain bumps it, so the wait below returns at once.
    const seen = Atomics.load(channel.wake, 0);
    for (let entry = receiveMessageOnPort(channel.replies); entry !== undefined; entry = receiveMessageOnPort(channel.replies)) {
      const reply = entry.message as ThreadCallReply;
      if (reply.id !== id) continue; // stale: the answer to an earlier call nobody waits for any more
      if (reply.ok) return reply.value as R;
      throw reviveError(reply.error);
    }
    Atomics.wait(channel.wake, 0, seen);
  }
}

/**
 * Calls the main-thread function exposed as `name` without waiting for it.
 *
 * Calls made by one worker run on the main thread in the order made. The result is discarded; an error (or an
 * unknown `name`) is reported through the pool's error handler on the main thread.
 *
 * @param name - the name given to `reactor.expose(name, fn)`.
 * @param args - structured-cloneable arguments.
 * @throws TypeError on the main thread (there it calls nothing: call the function directly); DataCloneError when the
 *   arguments cannot be cloned.
 * @example
 * ```ts
 * callFromThread('progress', done, total);
 * ```
 */
export function callFromThread(name: string, ...args: unknown[]): void {
  post(requireWorker('callFromThread', 'outside one there is no main thread to send the call to, so nothing was called'), name, args, false);
}
