/**
 * The hub that pools, groups and primitives use when none is given: the default reactor's.
 *
 * @module
 */
import { Hub } from './hub.js';

let provider: (() => Hub) | null = null;
let fallback: Hub | null = null;

/**
 * The default hub: `reactor.hub` once the reactor module registered itself, else a process-wide hub made on first use.
 *
 * Why a provider and not an import of the reactor: the green path sits below the reactor (`reactor → green`), so it
 * cannot import it; the default reactor registers a provider instead, and nothing is created until asked for.
 *
 * @returns the hub.
 */
export function getDefaultHub(): Hub {
  if (provider !== null) return provider();
  fallback ??= new Hub();
  return fallback;
}

/**
 * Make `fn()` the source of the default hub (the default reactor calls this with `() => reactor.hub`).
 *
 * @param fn - returns the hub to use, or `null` to go back to the standalone hub.
 */
export function setDefaultHubProvider(fn: (() => Hub) | null): void {
  provider = fn;
}
