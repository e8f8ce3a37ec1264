/**
 * Options of the green hub, with their defaults in one table.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { runOnNextTurn } from '../time/macrotask.js';
import type { Scheduler } from '../time/scheduler.js';
import { expectScheduler } from '../time/expect-scheduler.js';
import { realTimeScheduler } from '../time/real-time-scheduler.js';
import { firstUnknownKey, unknownOptionMessage } from '../unknown-option.js';
import { describeValue } from '../describe-value.js';
import { durationMsRange, expectInRange, heldCountRange } from '../option-ranges.js';

/** How a {@link Hub} slices time and bounds its greenlets; every field is optional. */
export interface HubOptions {
  /**
   * Wall time (ms, read from `now`) the hub may run greenlet steps before it yields to the event loop (with
   * `nextTurn`). Smaller keeps the loop more responsive; larger wastes less time switching. From 0 to 2³¹ − 1.
   * @defaultValue 4
   */
  sliceMs?: number;
  /**
   * A single step longer than this (ms) emits `'blocked'` on the hub: the greenlet did not cooperate often enough
   * (the policy layer moves such tasks to threads). From 0 to 2³¹ − 1.
   * @defaultValue 20
   */
  blockingThresholdMs?: number;
  /**
   * Most greenlets alive at once (spawned and not dead); past it `spawn` returns a greenlet already dead with
   * `QueueFullError`. An integer from 1 to 1,000,000 (the policy's `green.maxGreenlets` range), or Infinity.
   * @defaultValue Infinity
   */
  maxGreenlets?: number;
  /**
   * The scheduler for sleeps and timeouts (a `Clock` in tests). Slices and step times come from `now`.
   * @defaultValue the real-time scheduler
   * @example `new Hub({ clock: new Clock() })`
   */
  clock?: Scheduler;
  /**
   * The wall-time source (ms, monotonic) that measures slices and every step (`'blocked'`, step statistics). Tests
   * pass one they advance by hand, so a "blocked" step is exact instead of a CPU spin (tinybench's `now` option).
   * @defaultValue `performance.now()`
   * @example `let t = 0; new Hub({ now: () => t })`
   */
  now?: () => number;
  /**
   * Runs the hub's next pass on a later turn of the event loop: how it yields between slices (Effect's
   * `MixedScheduler` takes the same function). It must call `fn` once, later, never synchronously. Tests pass
   * one that collects the passes and runs them by hand.
   * @defaultValue `setImmediate` (after pending I/O and due timers)
   * @example `const passes: Array<() => void> = []; new Hub({ nextTurn: (fn) => passes.push(fn) })`
   */
  nextTurn?: (fn: () => void) => void;
}

/** {@link HubOptions} with every default filled in. */
export type ResolvedHubOptions = Required<HubOptions>;

/** The defaults of {@link HubOptions}. */
export const defaultHubOptions: Readonly<ResolvedHubOptions> = Object.freeze({
  sliceMs: 4,
  blockingThresholdMs: 20,
  maxGreenlets: Infinity,
  clock: realTimeScheduler,
  now: () => performance.now(),
  nextTurn: runOnNextTurn,
});

function functionOption<F>(key: string, value: F): F {
  if (typeof value !== 'function') throw new TypeError(`Expected \`${key}\` to be a function, got ${describeValue(value)}`);
  return value;
}

/**
 * Fill in the defaults of `options` and validate them.
 *
 * @param options - the caller's options.
 * @returns the resolved options.
 * @throws TypeError when `options` is not an object, has a key that is not a {@link HubOptions} field (a misspelt
 *   option would otherwise be ignored silently), or a field has the wrong type; RangeError when a number is out of
 *   its range (src/option-ranges.ts, the ranges of the policy's `green.*` options): `sliceMs` and
 *   `blockingThresholdMs` from 0 to 2³¹ − 1 ms, `maxGreenlets` an integer from 1 to a million, or Infinity (with 0
 *   every spawn would fail; `2 ** 60` or `sliceMs: 1e308` were taken before and bound nothing).
 */
export function resolveHubOptions(options: HubOptions = {}): ResolvedHubOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${describeValue(options)}`);
  }
  const known = Object.keys(defaultHubOptions);
  const unknown = firstUnknownKey(options, known);
  if (unknown !== undefined) throw new TypeError(unknownOptionMessage(unknown, known, 'new Hub()', 'its options are'));
  const resolved = { ...defaultHubOptions };
  for (const key of ['sliceMs', 'blockingThresholdMs'] as const) {
    if (options[key] !== undefined) resolved[key] = expectInRange(`\`${key}\``, options[key], durationMsRange);
  }
  if (options.maxGreenlets !== undefined) resolved.maxGreenlets = expectInRange('`maxGreenlets`', options.maxGreenlets, heldCountRange, true);
  if (options.clock !== undefined) resolved.clock = expectScheduler(options.clock, 'clock');
  if (options.now !== undefined) resolved.now = functionOption('now', options.now);
  if (options.nextTurn !== undefined) resolved.nextTurn = functionOption('nextTurn', options.nextTurn);
  return resolved;
}
