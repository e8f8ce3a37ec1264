/**
 * `reactor`: the process's default `Reactor`, created on first use.
 *
 * @module
 */
import { setDefaultHubProvider } from '../green/default-hub.js';
import { policyFromEnvironment } from '../policy/resolve-policy-option.js';
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
 * A stand-in for the default reactor that creates it on first use and forwards everything to it.
 *
 * Why a lazy proxy rather than `new Reactor()` at import time: importing greenreactor must have no side
 * effects — in a worker thread (SPEC §5: "no reactor, no pool, no open handle") and in a script that only
 * wants `Deferred`. A Reactor is cheap to build today, but the policy layer may read a config file when one
 * is created; deferring creation keeps imports free whatever the constructor grows into. Methods are bound to
 * the real instance (its `#private` fields do not work through a Proxy receiver) and cached, so
 * `reactor.stop === reactor.stop` and a detached `const { callLater } = reactor` still works.
 * `reactor instanceof Reactor` holds.
 */
function lazyReactor(): Reactor {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(Object.create(Reactor.prototype) as Reactor, {
    get(_target, key) {
      const real = defaultReactor();
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
