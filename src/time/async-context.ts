/**
 * `captureContext`: remember the async context (every `AsyncLocalStorage` store) of the caller, to run code in it
 * later — what `setTimeout` does for its callback, done here for greenlet steps and `reactor.callLater`.
 *
 * Why not one `AsyncResource` (or `AsyncLocalStorage.snapshot()`) per capture: on Node 20 making one costs
 * ~0.5-0.9 µs, more than spawning a greenlet, and it would stay alive with every parked greenlet. Captures made in
 * the same context (a loop spawning greenlets, a greenlet spawning children, calls from one request) share one: the
 * last capture is reused while every store the caller sees is the one it saw then.
 *
 * How "the same stores" is checked: on Node 20 and 22, each `AsyncLocalStorage` keeps its store as a property of the
 * current execution resource (`async_hooks.executionAsyncResource()`) under a symbol of its own. So the capture
 * needs every such symbol: reading them on the caller's resource and comparing with the last capture's values is
 * the whole check (a few property reads). The symbols are learnt as storages come into use: once, from a new
 * resource (every storage in use puts its symbol on each new resource), for those in use before this module ran;
 * then from `AsyncLocalStorage.prototype._enable`, which every storage calls before it first sets a store (and again
 * after `disable()`), watched here without changing what it does. A storage nobody had used yet that sets a store
 * on the very resource of an earlier capture (the reactor captures in its constructor, a request handler then calls
 * `als.run`) is therefore known before its store is read. Where stores do not live on resources (Node 24's
 * `AsyncContextFrame`), or `_enable` is not there to watch, no check is possible, so every capture makes its own
 * `AsyncResource`: correct, slower.
 *
 * Limit: a symbol stays on the list once learnt (a storage that is dropped without `disable()` cannot be told from
 * one still in use), so a program that makes an `AsyncLocalStorage` per request makes every later capture read one
 * more property per storage it ever used. Storages are meant to be made once, at module scope.
 *
 * @module
 */
import { AsyncLocalStorage, AsyncResource, executionAsyncResource } from 'node:async_hooks';

/** A remembered async context: run code in it with {@link runInContext}. Opaque. */
export type AsyncContext = AsyncResource;

type Resource = Record<symbol, unknown>;

/** What this module reads of a storage: its Node 20/22 internals. */
interface StorageInternals {
  readonly enabled?: unknown;
  readonly kResourceStore?: unknown;
}

/**
 * Where the learnt symbols live: on the (one, process-wide) `AsyncLocalStorage.prototype`, so every copy of this
 * module (the built `dist/` and a TypeScript source loaded through tsx, or one per test file under jest) shares one
 * list and one watch.
 */
const keysSlot = Symbol.for('greenreactor.asyncLocalStorageStoreKeys');

type StoragePrototype = { _enable?: (this: StorageInternals) => void } & Record<typeof keysSlot, symbol[] | undefined>;

/** Whether stores live on execution resources and every store symbol is known; decided on the first capture. */
let checkable: boolean | undefined;
/** Every store symbol: one per AsyncLocalStorage used in this process (see the module comment). */
let storeKeys: symbol[] = [];
let lastValues: unknown[] = [];
let lastContext: AsyncContext | null = null;

/**
 * Whether this Node keeps each storage's store on the execution resource: its `AsyncLocalStorage` has a
 * `kResourceStore` symbol of its own from the constructor (Node 20 and 22; Node 24's `AsyncContextFrame` storage
 * has none).
 *
 * Read from a storage that is never used: running one (`probe.run(...)`, even followed by `disable()`) turns on
 * Node 20's promise hook, and promise creation stays off V8's fast path for the rest of the process, the
 * application's promises included. How much that costs depends on the code: a loop of unused `new Promise` went
 * from ~1 to ~50 ns each here (load 8); 300,000 awaits of an async function showed no difference beyond noise.
 */
function storesLiveOnResources(): boolean {
  const probe = new AsyncLocalStorage<object>() as unknown as StorageInternals;
  return typeof probe.kResourceStore === 'symbol' && typeof probe.enabled === 'boolean';
}

/** @returns the shared list of store symbols, kept complete by the watch on `_enable`; null when there is none to watch. */
function watchStoreKeys(): symbol[] | null {
  const proto = AsyncLocalStorage.prototype as unknown as StoragePrototype;
  const shared = proto[keysSlot];
  if (shared !== undefined) return shared;
  const enable = proto._enable;
  if (typeof enable !== 'function') return null;
  const keys: symbol[] = [];
  // Storages in use now: each put its symbol on this new resource (with the current store, maybe undefined).
  for (const key of Object.getOwnPropertySymbols(newContext())) {
    if (key.description === 'kResourceStore') keys.push(key);
  }
  Object.defineProperty(proto, '_enable', {
    configurable: true,
    writable: true,
    value: function enableWatched(this: StorageInternals): void {
      if (this.enabled !== true) {
        const key = this.kResourceStore;
        if (typeof key === 'symbol' && !keys.includes(key)) keys.push(key);
      }
      enable.call(this);
    },
  });
  Object.defineProperty(proto, keysSlot, { value: keys });
  return keys;
}

function decide(): boolean {
  if (!storesLiveOnResources()) return false;
  const keys = watchStoreKeys();
  if (keys === null) return false;
  storeKeys = keys;
  return true;
}

/**
 * Remember the caller's async context.
 *
 * @returns the context; captures made while every store is the same return the same object.
 */
export function captureContext(): AsyncContext {
  checkable ??= decide();
  if (!checkable) return newContext();
  const r = executionAsyncResource() as Resource;
  const keys = storeKeys;
  const values = lastValues;
  const n = keys.length;
  if (lastContext !== null && values.length === n) {
    let i = 0;
    while (i < n && r[keys[i]!] === values[i]) i++;
    if (i === n) return lastContext;
  }
  const next = new Array<unknown>(n);
  for (let i = 0; i < n; i++) next[i] = r[keys[i]!];
  lastValues = next;
  lastContext = newContext();
  return lastContext;
}

/**
 * A context carrier: an AsyncResource that stands for no pending operation, so it tells async hooks (and
 * `--detectOpenHandles`) it is done at once; running code in it later only needs its stores.
 */
function newContext(): AsyncContext {
  const context = new AsyncResource('greenreactor.context', { requireManualDestroy: true });
  context.emitDestroy();
  return context;
}

/**
 * Run `fn(...args)` in a remembered context: every `AsyncLocalStorage` reads the stores it had at capture, and
 * Promises made meanwhile keep them.
 *
 * @param context - from {@link captureContext}.
 * @param fn - the function.
 * @param args - its arguments.
 * @returns what `fn` returns.
 * @throws what `fn` throws.
 */
export function runInContext<A extends unknown[], R>(context: AsyncContext, fn: (...args: A) => R, ...args: A): R {
  return context.runInAsyncScope(fn, undefined, ...args);
}
