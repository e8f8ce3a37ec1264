/**
 * `endedByAbort`: whether a stream's task ended by a cancel or a timeout (SPEC §9), read from the error its run
 * failed with.
 *
 * Why one function: both stream kinds (`thread-stream.ts`, `in-process-stream.ts`) end differently on an abort (the
 * iteration ends with the error and drops what was buffered) than on a failure (what arrived stays readable), and
 * they must agree on which is which. Why it never throws: it runs on the stream's error path with whatever the task
 * threw, which on the in-process routes may be hostile (a revoked Proxy, a throwing `code` getter); a throw here
 * would leave the stream's `result` pending forever. Such a value is no abort: the stream fails with it.
 *
 * @module
 */
import { errorCode } from '../error-code.js';

/**
 * Whether `error` says its run was cancelled or timed out (`code` `'ERR_CANCELLED'` or `'ERR_TIMEOUT'`: matched on
 * the code, as a second copy of the package makes `instanceof` fail).
 * @param error - what the run failed with (anything).
 * @returns true for a `CancelledError` or `TimeoutError`; false for anything else, also when reading `code` throws.
 */
export function endedByAbort(error: unknown): boolean {
  const code = errorCode(error); // never throws: a revoked Proxy or a throwing getter has no code, it is not one of ours
  return code === 'ERR_CANCELLED' || code === 'ERR_TIMEOUT';
}
