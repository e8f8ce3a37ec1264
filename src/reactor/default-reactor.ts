/**
 * `reactor`: the process's default `Reactor`, created on first use.
 *
 * @module
 */
import { fail } from '../deferred/fail.js';
import { setDefaultHubProvider } from '../green/default-hub.js';
import { policyFromEnvironment } from '../policy/resolve-policy-option.js';
import { failedStream } from '../stream/start-task-stream.js';
import { Reactor } from './reactor.js';

let instance: Reactor | undefined;

/** The default reactor, constructing it on the first call. */
function defaultReactor(): Reactor {
  if (instance === undefined) {
    // The default reactor's policy comes from the file named by GREENREACTOR_POLICY, when set.
    const policy = policyFromEnvironment();
    instance = new Reactor(policy === undefined ? {} : { policy });
  }
  return instance;
}

/**
 * The methods SPEC §3 says never throw: each reports every failure by errbacking the Deferred it returns. When the
 * default reactor cannot be built (the file `GREENREACTOR_POLICY` names is missing or invalid), these still do:
 * they return a Deferred failed with the `PolicyConfigError`, so a request handler that dispatches gets the error
 * where it handles every other failure. Every other member throws it: there is no reactor to answer for.
 */
const deferredMethods: ReadonlySet<PropertyKey> = new Set<keyof Reactor>([
  'deferToThread',
  'deferToThreadPool',
  'callMultipleInThread',
  'deferToGreenlet',
  'deferToGreenletPool',
  'callMultipleInGreenlet',
  'waitForGreenlet',
  'waitForDeferred',
  'blockingCallFromGreenlet',
  'deferToRemote',
  'dispatch',
]);

/**
 * The methods that return a `TaskStream` and never throw either (SPEC §9: bad input gives a stream whose iteration
 * throws the error and whose `result` errbacks with it): when the default reactor cannot be built they return such a
 * stream, failed with the `PolicyConfigError`, as `reactor.stream()` of a stopped reactor does with its error.
 */
const streamMethods: ReadonlySet<PropertyKey> = new Set<keyof Reactor>(['stream']);

/**
 * The default reactor, or for a Deferred- or stream-returning method a stand-in failing with why it cannot be built.
 */
function defaultReactorFor(key: PropertyKey): Reactor | ((...args: unknown[]) => unknown) {
  try {
    return defaultReactor();
  } catch (error) {
    // Not cached: the next use reads the file again, so a file mended while the process runs is taken up.
    if (deferredMethods.has(key)) return () => fail(error);
    if (streamMethods.has(key)) return () => failedStream(error);
    throw error;
  }
}

/**
 * A stand-in for the default reactor that creates it on first use and forwards everything to it.
 *
 * Why a lazy proxy rather than `new Reactor()` at import time: importing greenreactor must have no side
 * effects — in a worker thread (SPEC §5: "no reactor, no pool, no open handle") and in a script that only
 * wants `Deferred`. A Reactor is cheap to build today, but the policy layer may read a config file when one
 * is created; deferring creation keeps imports free whatever the constructor grows into. Methods are bound to
 * the real instance (its `#private` fields do not work through a Proxy receiver) and cached, so
 * `reactor.stop === reactor.stop` and a detached `const { callLater } = reactor` still works.
 * `reactor instanceof Reactor` holds. When the file `GREENREACTOR_POLICY` names is missing or invalid, every use
 * throws its `PolicyConfigError`, except the Deferred-returning methods, which return it failed (SPEC §3: they never
 * throw), and `stream()`, which returns a stream failed with it (SPEC §9).
 */
function lazyReactor(): Reactor {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(Object.create(Reactor.prototype) as Reactor, {
    get(_target, key) {
      const real = defaultReactorFor(key);
      if (typeof real === 'function') return real;
      const value: unknown = Reflect.get(real, key, real);
      if (typeof value !== 'function') {
        return value;
      }
      let fn = bound.get(key);
      if (fn === undefined) {
        fn = (value as (...args: unknown[]) => unknown).bind(real);
        bound.set(key, fn);
      }
      return fn;
    },
    set(_target, key, value) {
      const real = defaultReactor();
      return Reflect.set(real, key, value, real);
    },
    has(_target, key) {
      return Reflect.has(defaultReactor(), key);
    },
  });
}

/**
 * The default reactor of the process, used by code that does not build its own `Reactor`.
 *
 * It is created on first use (any property access), not at import, so importing greenreactor starts nothing
 * and holds no handle — an idle default reactor never keeps a script alive. Build your own
 * `new Reactor({ clock })` in tests, to drive time with a `Clock`.
 *
 * @example
 * ```ts
 * import { reactor } from 'greenreactor';
 *
 * reactor.addSystemEventTrigger('after', 'shutdown', () => console.log('bye'));
 * reactor.callLater(500, () => void reactor.stop());
 * await reactor.run();
 * ```
 */
export const reactor: Reactor = lazyReactor();

// GreenPool, Group and the green primitives created without a hub use `reactor.hub` (SPEC §6.1). Registering
// the provider creates nothing: the reactor and its hub are still made on first use.
setDefaultHubProvider(() => defaultReactor().hub);
