/**
 * Options of the green hub, with their defaults in one table.
 *
 * @module
 */
import type { Scheduler } from '../time/scheduler.js';
import { realTimeScheduler } from '../time/real-time-scheduler.js';

/** How a {@link Hub} slices time and bounds its greenlets; every field is optional. */
export interface HubOptions {
  /**
   * Wall time (ms, measured with `performance.now()`) the hub may run greenlet steps before it yields to the event
   * loop with `setImmediate`. Smaller keeps the loop more responsive; larger wastes less time switching.
   * @defaultValue 4
   */
  sliceMs?: number;
  /**
   * A single step longer than this (ms) emits `'blocked'` on the hub: the greenlet did not cooperate often enough
   * (the policy layer moves such tasks to threads).
   * @defaultValue 20
   */
  blockingThresholdMs?: number;
  /**
   * Most greenlets alive at once (spawned and not dead); past it `spawn` returns a greenlet already dead with
   * `QueueFullError`.
   * @defaultValue Infinity
   */
  maxGreenlets?: number;
  /**
   * The scheduler for sleeps and timeouts (a `Clock` in tests). Slices are always wall time.
   * @defaultValue the real-time scheduler
   * @example `new Hub({ clock: new Clock() })`
   */
  clock?: Scheduler;
}

/** {@link HubOptions} with every default filled in. */
export type ResolvedHubOptions = Required<HubOptions>;

/** The defaults of {@link HubOptions}. */
export const defaultHubOptions: Readonly<ResolvedHubOptions> = Object.freeze({
  sliceMs: 4,
  blockingThresholdMs: 20,
  maxGreenlets: Infinity,
  clock: realTimeScheduler,
});

function describe(value: unknown): string {
  return `\`${String(value)}\` (${typeof value})`;
}

/**
 * Fill in the defaults of `options` and validate them.
 *
 * @param options - the caller's options.
 * @returns the resolved options.
 * @throws TypeError when a field has the wrong type or range.
 */
export function resolveHubOptions(options: HubOptions = {}): ResolvedHubOptions {
  const resolved = { ...defaultHubOptions };
  for (const key of ['sliceMs', 'blockingThresholdMs'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
      throw new TypeError(`Expected \`${key}\` to be a finite number >= 0, got ${describe(value)}`);
    }
    resolved[key] = value;
  }
  const max = options.maxGreenlets;
  if (max !== undefined) {
    if (typeof max !== 'number' || !(max >= 0) || (!Number.isInteger(max) && max !== Infinity)) {
      throw new TypeError(`Expected \`maxGreenlets\` to be an integer >= 0 or Infinity, got ${describe(max)}`);
    }
    resolved.maxGreenlets = max;
  }
  const clock = options.clock;
  if (clock !== undefined) {
    if (typeof clock !== 'object' || clock === null || typeof clock.callLater !== 'function' || typeof clock.now !== 'function') {
      throw new TypeError(`Expected \`clock\` to be a Scheduler (now, callLater), got ${describe(clock)}`);
    }
    resolved.clock = clock;
  }
  return resolved;
}
