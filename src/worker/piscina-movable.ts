/**
 * Worker side: marks a value for Piscina to move (transfer) rather than copy, without loading Piscina's pool.
 *
 * Piscina's worker (`dist/worker.js`) transfers a handler's result only when it carries Piscina's private
 * "movable" mark, set by `markMovable` in `dist/common.js`. `Piscina.move` lives in the package index, which
 * loads the whole pool implementation — about 45 ms of every worker's start-up, paid again after each crash.
 * Loading `common.js` by path gives the very module instance `worker.js` uses (same file, same require cache),
 * at a fraction of the cost; if Piscina's layout ever changes, the package's own `move` is used instead.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { types } from 'node:util';
import type { MessagePort } from 'node:worker_threads';

/** Piscina's documented `transferableSymbol` / `valueSymbol` (global symbols). */
export const transferableSymbol = Symbol.for('Piscina.transferable');
export const valueSymbol = Symbol.for('Piscina.valueOf');

type MarkMovable = (value: object) => void;

let markMovable: MarkMovable | undefined;

// Synchronous (Piscina ships CommonJS) and on first use, so `require('greenreactor/worker')` works from
// CommonJS (a top-level await would make the module async: ERR_REQUIRE_ASYNC_MODULE) and importing stays free.
function loadMarkMovable(): MarkMovable {
  const require = createRequire(import.meta.url);
  try {
    const common = require(join(dirname(require.resolve('piscina')), 'common.js')) as { markMovable?: MarkMovable };
    if (typeof common.markMovable === 'function') return common.markMovable;
  } catch {
    // fall through to the public API
  }
  const { move } = require('piscina') as { move: (value: unknown) => unknown };
  return (value) => {
    move(value);
  };
}

/**
 * Wraps `value` so Piscina sends it with `transfer` moved.
 * @param value - what the main thread receives.
 * @param transfer - the transferable(s) to move along with it.
 * @returns the marked wrapper, to return from the Piscina handler.
 */
export function movable(value: unknown, transfer: unknown): object {
  const wrapper = { [transferableSymbol]: transfer, [valueSymbol]: value };
  (markMovable ??= loadMarkMovable())(wrapper);
  return wrapper;
}

/**
 * Opens a wrapper {@link movable} made: what it carries and the transferables to move with it. Used where several
 * results leave in one message (a coalesced batch), whose own wrapper must carry every result's transfer list.
 * @param value - a handler's result.
 * @returns the carried value and its transfer list, or `undefined` when `value` is not such a wrapper.
 */
export function openMovable(value: unknown): { value: unknown; transfer: unknown[] } | undefined {
  if (typeof value !== 'object' || value === null || !(transferableSymbol in value)) return undefined;
  const marked = value as Record<symbol, unknown>;
  const list = marked[transferableSymbol];
  return { value: marked[valueSymbol], transfer: Array.isArray(list) ? (list as unknown[]) : [list] };
}

/**
 * The transfer list of a value that can be moved as is: an `ArrayBuffer`, a `MessagePort`, or a view's buffer.
 * @param value - the value.
 * @returns what to transfer.
 */
export function transferOf(value: ArrayBuffer | ArrayBufferView | MessagePort): unknown {
  return types.isArrayBufferView(value) ? value.buffer : value;
}
