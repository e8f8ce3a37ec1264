/**
 * `copyLargeBuffers`: a call's large buffer arguments, copied on the main thread and moved to the worker, in place of
 * a structured clone of them.
 *
 * Why: a structured clone of a large buffer costs two copies — the main thread writes its bytes into the message (a
 * buffer grown as it is written), the worker copies them out into a new `ArrayBuffer` — and with a few workers the
 * main thread's copy is what limits throughput (it serialises every call). One copy of the
 * same bytes, moved with a transfer list, costs one copy on the main thread and none in the worker: a 1 MiB argument
 * posts about 1.3-1.4× faster than Piscina's clone (measured in `docs/threads.md`). Below about 512 KiB the transfer's
 * own cost eats the saving, so smaller buffers are cloned as before.
 *
 * The copy is a fresh buffer each time, its memory cold (the workers free the last ones only in their next
 * young-generation collections): 73-99 µs per MiB in a CPU profile of the 1 MiB row, against 23 µs for the same copy
 * into a buffer in cache, and about half of the main thread's busy time there. Not a reused staging buffer instead:
 * a buffer moved to the worker cannot come back (the task may keep its argument, which a clone never takes away
 * again), and a pool of `SharedArrayBuffer` slots that the worker copies out of and frees at once was measured slower
 * (one pool per process, 8 calls at once on 2 threads, fixed malloc thresholds, 8 rounds at load 34): the main
 * thread's CPU 614 ms against 262 ms per 1,600 calls, the wall time 0.68× — a copy into or out of shared memory took
 * about 1.6× a plain one even with the bytes in cache (38 against 23 µs per MiB), the slot's bytes pass between the
 * two threads' caches on every call, and the worker copies them a second time. Nor staging buffers that the pool keeps
 * and moves, which the worker copies out into a buffer of its own (what the task sees) and moves back on `parentPort`
 * at once: reuse worked (at most about 1 copy in 10 needed a fresh buffer) and the main thread's copy took about 69
 * against 86 µs per call (CPU profile, 1,800 calls), but the worker's copy out, into fresh memory of its own, took
 * about 110 µs a call, and each buffer coming back cost the main thread a message and counted as its external memory
 * (without allocating a one-byte buffer as each came back, it ran a mark-compact every 40-90 ms). One pool per process,
 * 8 calls at once on 2 threads, fixed malloc thresholds, 8 rounds at load 12.6-14.6: wall 675 against 336-347 ms per
 * 1,600 calls, the main thread's CPU 509 against 251-275 ms, the workers' 279 against 93-99 ms. On 2 cores the workers'
 * extra copy costs what the main thread saves and more: the copy stays here, once, and the task's buffer is the copy.
 *
 * What the task sees is what a structured clone would give it: a fresh buffer with the same bytes, the same
 * typed-array kind (a `Buffer` or a subclass arrives as its base typed array, as clone makes it), the same
 * `byteOffset` and length over a copy of the whole underlying buffer, and two arguments over one buffer still share
 * one buffer. The caller's buffers are never detached. Only top-level arguments are looked at, and only when every
 * other argument is a primitive, a `SharedArrayBuffer` or a view of one (shared, not copied): a buffer also reachable
 * inside an object argument would lose its identity with it, so such calls are cloned as before. Resizable buffers
 * are cloned too (the copy is not resizable).
 *
 * @module
 */
import { Buffer } from 'node:buffer';

/** The smallest buffer copied and moved rather than cloned (bytes); see the module note. */
export const largeBufferBytes = 512 * 1024;

/** What a call sends instead of its arguments. */
export interface CopiedArguments {
  /** The arguments, each large buffer (or view of one) replaced by its copy. */
  readonly args: unknown[];
  /** The copies, moved to the worker. */
  readonly transferList: ArrayBuffer[];
}

type ViewConstructor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView;

/** The intrinsic view constructors by their `Symbol.toStringTag` (what structured clone rebuilds a view as). */
const viewConstructors = new Map<string, ViewConstructor>(
  (
    [
      Int8Array,
      Uint8Array,
      Uint8ClampedArray,
      Int16Array,
      Uint16Array,
      Int32Array,
      Uint32Array,
      Float32Array,
      Float64Array,
      BigInt64Array,
      BigUint64Array,
    ] as unknown as ViewConstructor[]
  ).map((ctor) => [ctor.name, ctor]),
);

/** A buffer a view or an argument stands on, when it can be copied and moved: not shared, not resizable. */
function ownBuffer(value: ArrayBuffer): boolean {
  return (value as ArrayBuffer & { resizable?: boolean }).resizable !== true;
}

/**
 * A fresh `ArrayBuffer` with the bytes of `buffer`, written once.
 *
 * Not `buffer.slice(0)`: a slice is a new zero-filled buffer (a `calloc`, which clears memory the allocator reuses)
 * that is then copied into, two passes over every byte; with the 1 MiB payload row's copies kept in the heap, the
 * clearing took more of the main thread than the copy (13 % against 8 % of the run's samples, `perf`).
 * `Buffer.allocUnsafeSlow` allocates without clearing, and `set` writes each byte once.
 *
 * @param buffer - the buffer to copy.
 * @returns the copy (its own buffer, exactly `buffer.byteLength` long).
 */
function copyBytes(buffer: ArrayBuffer): ArrayBuffer {
  const copy = Buffer.allocUnsafeSlow(buffer.byteLength);
  copy.set(new Uint8Array(buffer));
  return copy.buffer;
}

/**
 * Copies a call's large buffer arguments for a transfer list, when the call qualifies (see the module note).
 *
 * @param args - the call's arguments (never changed).
 * @param minBytes - the smallest underlying buffer worth copying ({@link largeBufferBytes}).
 * @returns the arguments to send and the copies to move, or `undefined` when the call is cloned as it is.
 */
export function copyLargeBuffers(args: readonly unknown[], minBytes: number = largeBufferBytes): CopiedArguments | undefined {
  try {
    return copyIfLarge(args, minBytes);
  } catch {
    // A Proxy argument whose trap throws (user code; a revoked one throws at `instanceof`): the call is cloned as it
    // is, and that clone's failure errbacks its own Deferred. Escaping here, it would throw from the dispatch, or
    // from the pool's drain with other calls in line.
    return undefined;
  }
}

function copyIfLarge(args: readonly unknown[], minBytes: number): CopiedArguments | undefined {
  let large = false;
  for (const arg of args) {
    if (typeof arg !== 'object' || arg === null) {
      if (typeof arg === 'function' || typeof arg === 'symbol') return undefined; // the clone refuses it, as before
      continue;
    }
    if (arg instanceof SharedArrayBuffer) continue;
    if (arg instanceof ArrayBuffer) {
      if (!ownBuffer(arg)) return undefined;
      if (arg.byteLength >= minBytes) large = true;
      continue;
    }
    if (!ArrayBuffer.isView(arg)) return undefined;
    const buffer = arg.buffer;
    if (buffer instanceof SharedArrayBuffer) continue;
    if (!ownBuffer(buffer)) return undefined;
    if (arg instanceof DataView) {
      if (Object.getPrototypeOf(arg) !== DataView.prototype) return undefined;
    } else if (!viewConstructors.has((arg as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag])) return undefined;
    if (buffer.byteLength >= minBytes) large = true;
  }
  if (!large) return undefined;
  // One copy per underlying buffer, so arguments over one buffer share one copy, as they would after a clone.
  const copies = new Map<ArrayBuffer, ArrayBuffer>();
  const copyOf = (buffer: ArrayBuffer): ArrayBuffer => {
    let copy = copies.get(buffer);
    if (copy === undefined) {
      copy = copyBytes(buffer);
      copies.set(buffer, copy);
    }
    return copy;
  };
  const sent = args.map((arg): unknown => {
    if (typeof arg !== 'object' || arg === null || arg instanceof SharedArrayBuffer) return arg;
    if (arg instanceof ArrayBuffer) return copyOf(arg);
    const view = arg as ArrayBufferView;
    if (view.buffer instanceof SharedArrayBuffer) return view;
    const copy = copyOf(view.buffer);
    if (view instanceof DataView) return new DataView(copy, view.byteOffset, view.byteLength);
    const ctor = viewConstructors.get((view as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag])!;
    return new ctor(copy, view.byteOffset, (view as unknown as { length: number }).length);
  });
  return { args: sent, transferList: [...copies.values()] };
}
