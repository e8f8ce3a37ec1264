/**
 * `captureContext`: remember the async context (every `AsyncLocalStorage` store) of the caller, to run code in it
 * later — what `setTimeout` does for its callback, done here for greenlet steps and `reactor.callLater`.
 *
 * Why not one `AsyncResource` (or `AsyncLocalStorage.snapshot()`) per capture: on Node 20 making one costs
 * ~0.5-0.9 µs, more than spawning a greenlet, and it would stay alive with every parked greenlet. Callers that
 * capture many times in one context (a loop spawning greenlets, a greenlet spawning children) share one: the last
 * capture is reused while the caller runs on the same execution resource and every store it held is unchanged.
 *
 * How "unchanged" is checked: on Node 20 and 22, `AsyncLocalStorage.run`/`enterWith` keep each store as an own
 * symbol-keyed property of the current execution resource (`async_hooks.executionAsyncResource()`). A capture
 * records those symbols and values (a ~0.4 µs scan, paid only when the resource changed); reusing it compares them
 * (a few property reads) and the resource's own symbol count, which grows when an `AsyncLocalStorage` the captures
 * have not seen yet sets a store on it (`als.run` on the same resource as an earlier capture: the reactor captures
 * in its constructor, a request handler then calls `als.run`). Where stores do not live on resources (Node 24's
 * `AsyncContextFrame`), that cannot be checked, so every capture makes its own `AsyncResource`: correct, slower.
 *
 * @module
 */
import { AsyncLocalStorage, AsyncResource, executionAsyncResource } from 'node:async_hooks';

/** A remembered async context: run code in it with {@link runInContext}. Opaque. */
export type AsyncContext = AsyncResource;

type Resource = Record<symbol, unknown>;

/** Whether stores live on execution resources (Node 20/22); detected on the first capture. */
let storesOnResources: boolean | undefined;
/** Every store symbol seen on a resource so far (one per AsyncLocalStorage instance that set a store). */
const storeKeys: symbol[] = [];
let lastResource: Resource | null = null;
let lastSymbolCount = 0; // own symbols of lastResource at the last capture: a new store adds one
let lastValues: unknown[] = [];
let lastContext: AsyncContext | null = null;

function detectLayout(): boolean {
  const probe = new AsyncLocalStorage<object>();
  const token = {};
  let found = false;
  probe.run(token, () => {
    const r = executionAsyncResource() as Resource;
    for (const key of Object.getOwnPropertySymbols(r)) if (r[key] === token) found = true;
  });
  probe.disable(); // the probe leaves no promise hook behind
  return found;
}

/** Learn the store symbols among a resource's own symbols that no capture has seen yet. */
function learnStoreKeys(symbols: symbol[]): void {
  for (const key of symbols) {
    if (key.description === 'kResourceStore' && !storeKeys.includes(key)) storeKeys.push(key);
  }
}

function sameStores(r: Resource): boolean {
  const values = lastValues;
  if (values.length !== storeKeys.length) return false;
  for (let i = 0; i < values.length; i++) if (r[storeKeys[i]!] !== values[i]) return false;
  return true;
}

/**
 * Remember the caller's async context.
 *
 * @returns the context; captures made in the same, unchanged context return the same object.
 */
export function captureContext(): AsyncContext {
  storesOnResources ??= detectLayout();
  if (!storesOnResources) return newContext();
  const r = executionAsyncResource() as Resource;
  const symbols = Object.getOwnPropertySymbols(r);
  if (r === lastResource && symbols.length === lastSymbolCount && sameStores(r)) return lastContext!;
  learnStoreKeys(symbols);
  lastSymbolCount = symbols.length;
  const values = new Array<unknown>(storeKeys.length);
  for (let i = 0; i < values.length; i++) values[i] = r[storeKeys[i]!];
  if (lastContext !== null && lastResource !== null && sameValues(values)) {
    lastResource = r; // another resource with the very same stores (often: none at all): share the context
    return lastContext;
  }
  lastResource = r;
  lastValues = values;
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

function sameValues(values: unknown[]): boolean {
  if (values.length !== lastValues.length) return false;
  for (let i = 0; i < values.length; i++) if (values[i] !== lastValues[i]) return false;
  return true;
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
