/**
 * `optionsFromPolicy`: the one place where a policy config becomes the options of the reactor's thread pool and
 * hub, side by side.
 *
 * Why here and not in `threads/` or `green/`: the pool and the hub know nothing of policies (neither folder
 * imports `policy/`); the reactor, which owns all three, maps one onto the others. A new `threads` or `green`
 * field of the policy schema is wired in this file.
 *
 * @module
 */
import type { HubOptions } from '../green/hub-options.js';
import type { PolicyConfig } from '../policy/policy-schema.js';
import type { ThreadPoolOptions } from '../threads/thread-pool-options.js';
import type { Scheduler } from '../time/scheduler.js';

/** The options a reactor builds its routes with. */
export interface RouteOptions {
  /** The reactor's thread pool: the policy's `threads` section plus the reactor's clock. */
  readonly threadPool: ThreadPoolOptions;
  /** The reactor's hub: the policy's `green` section plus the reactor's clock. */
  readonly hub: HubOptions;
  /** The named thread pools: each of the policy's `pools` plus the reactor's clock (empty when none). */
  readonly pools: Readonly<Record<string, ThreadPoolOptions>>;
}

/**
 * Maps a policy config to the options of the reactor's thread pool and hub. Both take the reactor's clock, so
 * task timeouts, cancel grace periods and greenlet sleeps follow the reactor's time.
 *
 * @param config - a validated policy config (`policy.config`).
 * @param clock - the reactor's clock.
 * @param now - the reactor's wall-time source (`ReactorOptions.now`), which times the hub's slices and steps;
 *   `undefined` leaves the hub's default (`performance.now`).
 * @returns the pool's, the hub's and the named pools' options (absent policy keys left out: the defaults apply).
 */
export function optionsFromPolicy(config: Readonly<PolicyConfig>, clock: Scheduler, now?: () => number): RouteOptions {
  const hub: { -readonly [K in keyof HubOptions]?: HubOptions[K] } = { clock };
  if (now !== undefined) hub.now = now;
  const green = config.green;
  if (green?.sliceMs !== undefined) hub.sliceMs = green.sliceMs;
  if (green?.blockingThresholdMs !== undefined) hub.blockingThresholdMs = green.blockingThresholdMs;
  if (green?.maxGreenlets !== undefined) hub.maxGreenlets = green.maxGreenlets;
  const pools = Object.fromEntries(Object.entries(config.pools ?? {}).map(([name, threads]) => [name, { ...(threads as ThreadPoolOptions), clock }]));
  return { threadPool: { ...(config.threads as ThreadPoolOptions | undefined), clock }, hub, pools };
}
