/**
 * `FirstError`: the error a `DeferredList` with `fireOnOneErrback` and `gatherResults` fail with, holding the first failed member's `Failure`.
 *
 * @module
 */
import { GreenReactorError } from '../errors.js';
import type { Failure } from './failure.js';

/** A member of a DeferredList (`fireOnOneErrback`) or `gatherResults` failed first; `subFailure` says how. */
export class FirstError extends GreenReactorError {
  /** The member's failure. */
  readonly subFailure: Failure;
  /** The failed member's position in the input list. */
  readonly index: number;

  /**
   * @param subFailure - the failure of the member that failed first.
   * @param index - that member's index in the input list.
   */
  constructor(subFailure: Failure, index: number) {
    super(`Deferred #${index} failed first: ${subFailure.getErrorMessage()}`, 'ERR_FIRST_ERROR', {
      cause: subFailure.value,
    });
    this.subFailure = subFailure;
    this.index = index;
  }
}
