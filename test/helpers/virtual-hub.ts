/**
 * A Hub on a virtual Clock for deterministic green-path tests: drive it with `hub.flush()` and
 * `clock.advance(ms)`. Escaping greenlet errors are collected in `errors` instead of printed.
 */
import { Hub } from '../../src/green/hub.js';
import type { HubOptions } from '../../src/green/hub-options.js';
import { Clock } from '../../src/time/clock.js';

/** The hub, its clock, and the errors the hub reported. */
export interface VirtualHub {
  hub: Hub;
  clock: Clock;
  errors: unknown[];
}

/**
 * Makes a Hub whose sleeps and timeouts run on a fresh `Clock`.
 * @param options - more hub options (`sliceMs`, `maxGreenlets`…); `clock` is always the new Clock.
 */
export function makeVirtualHub(options: Omit<HubOptions, 'clock'> = {}): VirtualHub {
  const clock = new Clock();
  const hub = new Hub({ ...options, clock });
  const errors: unknown[] = [];
  hub.on('error', (error: unknown) => errors.push(error));
  return { hub, clock, errors };
}
