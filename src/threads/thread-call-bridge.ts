/**
 * `ThreadCallBridge`: the main thread's side of `blockingCallFromThread` / `callFromThread`.
 *
 * Invariants:
 * - Each worker sends its reply port and wake word with its first call; replies go back on that port, then the word
 *   is bumped and notified (the worker sleeps in `Atomics.wait` on it).
 * - Every blocking call gets exactly one reply, with its id: the function's value, its error, a `TypeError` for an
 *   unknown name, or `ReactorStoppedError` once the bridge is closed (pending calls are answered at close).
 * - Calls from one worker start in the order they were made (one port, FIFO).
 *
 * @module
 */
import { AsyncResource } from 'node:async_hooks';
import type { MessagePort } from 'node:worker_threads';
import { ReactorStoppedError } from '../errors.js';
import { serializeError } from './error-transport.js';
import type { ExposedFunctions } from './exposed-functions.js';
import { restoreCarriedContext } from '../context/context-carrier.js';
import { runInContext, type AsyncContext } from '../time/async-context.js';
import { callTag, type ThreadCallReply, type ThreadCallRequest } from './wire.js';

interface Channel {
  readonly replies: MessagePort;
  readonly wake: Int32Array;
  /** Ids of this worker's blocking calls still running. */
  readonly pending: Set<number>;
}

/**
 * Tells whether a worker message is a greenreactor call.
 * @param message - a message a worker posted on its `parentPort`.
 */
export function isThreadCall(message: unknown): message is ThreadCallRequest {
  return typeof message === 'object' && message !== null && (message as { tag?: unknown }).tag === callTag;
}

/** Calls an exposed function with the call's arguments, inside the context the call carried (if any). */
function invoke(fn: (...args: any[]) => unknown, request: ThreadCallRequest): unknown {
  const { args, context } = request;
  return context === undefined ? fn(...args) : restoreCarriedContext(context, () => fn(...args));
}

/**
 * The async context a bridge is made in: a plain `AsyncResource` (it takes every store set now).
 *
 * Why not `captureContext` (src/time): a pool is made once and needs one capture, not the reuse between captures that
 * `captureContext` is built for.
 * A storage enabled only later had no store here, which is what the resource says.
 */
function homeContext(): AsyncContext {
  const context = new AsyncResource('greenreactor.thread-call-bridge', { requireManualDestroy: true });
  context.emitDestroy(); // stands for no pending operation (no open handle under async_hooks tooling)
  return context;
}

/** Serves worker calls for one pool from an {@link ExposedFunctions} registry. */
export class ThreadCallBridge {
  readonly #exposed: ExposedFunctions;
  readonly #onError: (error: unknown) => void;
  readonly #channels = new Map<number, Channel>();
  /**
   * The async context the bridge was made in (the pool's construction, usually at startup). Exposed functions run
   * in it: a worker's messages arrive in the context of whichever dispatch happened to start that worker, and an
   * exposed function must not see that request's stores. Carried context is restored inside it.
   */
  readonly #home: AsyncContext;
  #closed = false;

  /**
   * @param exposed - the functions workers may call.
   * @param onError - where errors of fire-and-forget calls (`callFromThread`) go.
   */
  constructor(exposed: ExposedFunctions, onError: (error: unknown) => void) {
    this.#exposed = exposed;
    this.#onError = onError;
    this.#home = homeContext();
  }

  /**
   * Handles one call from a worker.
   * @param request - the call.
   */
  handle(request: ThreadCallRequest): void {
    let channel = this.#channels.get(request.threadId);
    if (request.channel !== undefined) {
      channel = { replies: request.channel.replies, wake: request.channel.wake, pending: new Set() };
      this.#channels.set(request.threadId, channel);
    }
    if (channel === undefined) return; // the worker's first message was lost with a previous bridge
    const { id, name, wait } = request;
    if (wait) channel.pending.add(id);
    if (this.#closed) {
      this.#fail(channel, id, wait, new ReactorStoppedError(`Cannot call \`${name}\`: the reactor is stopping`));
      return;
    }
    const fn = this.#exposed.get(name);
    if (fn === undefined) {
      const known = this.#exposed.names();
      const hint = known.length === 0 ? 'nothing is exposed' : `exposed: ${known.join(', ')}`;
      this.#fail(channel, id, wait, new TypeError(`No main-thread function is exposed as \`${name}\` (${hint}); call reactor.expose('${name}', fn) first`));
      return;
    }
    let result: unknown;
    try {
      result = runInContext(this.#home, invoke, fn, request);
    } catch (error) {
      this.#fail(channel, id, wait, error);
      return;
    }
    Promise.resolve(result).then(
      (value) => {
        if (wait) this.#reply(channel, { id, ok: true, value });
      },
      (error: unknown) => this.#fail(channel, id, wait, error),
    );
  }

  /** Refuses further calls and answers every pending blocking call with `ReactorStoppedError`. */
  close(): void {
    this.#closed = true;
    for (const channel of this.#channels.values()) {
      for (const id of [...channel.pending]) {
        this.#fail(channel, id, true, new ReactorStoppedError('The reactor stopped while this blocking call was pending'));
      }
    }
  }

  /**
   * Forgets a worker that exited.
   * @param threadId - its thread id.
   */
  forget(threadId: number): void {
    this.#channels.delete(threadId);
  }

  #fail(channel: Channel, id: number, wait: boolean, error: unknown): void {
    if (wait) this.#reply(channel, { id, ok: false, error: serializeError(error) });
    else this.#onError(error);
  }

  #reply(channel: Channel, reply: ThreadCallReply): void {
    if (!channel.pending.delete(reply.id)) return; // already answered (closed meanwhile)
    try {
      channel.replies.postMessage(reply);
    } catch (error) {
      channel.replies.postMessage({ id: reply.id, ok: false, error: serializeError(error) } satisfies ThreadCallReply);
    }
    Atomics.add(channel.wake, 0, 1);
    Atomics.notify(channel.wake, 0);
  }
}
