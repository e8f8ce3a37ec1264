/**
 * `threadPoolOptionsFrom`: the one seam where a reactor's configuration becomes its pool's `ThreadPoolOptions`.
 *
 * @module
 */
import type { PolicyConfig } from '../policy/policy-schema.js';
import type { Scheduler } from '../time/scheduler.js';
import type { ThreadPoolOptions } from './thread-pool-options.js';

/**
 * Builds the options of a reactor's thread pool: the `threads` section of its policy (when given as an object)
 * and the reactor's clock (so task timeouts and cancel grace periods follow the reactor's time).
 *
 * Why one function: the policy layer feeds `policy.threads` in here, a file-based policy included, without the
 * reactor or the pool knowing about each other's shapes.
 *
 * @param policy - the reactor's `policy` option (a config object; a file path is resolved by the policy layer).
 * @param clock - the reactor's clock.
 * @returns the pool options.
 */
export function threadPoolOptionsFrom(policy: PolicyConfig | string | undefined, clock: Scheduler): ThreadPoolOptions {
  const threads = typeof policy === 'object' && policy !== null ? policy.threads : undefined;
  return { ...(threads as ThreadPoolOptions | undefined), clock };
}
