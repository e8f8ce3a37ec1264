/**
 * `FailureGroup`: the error `race` fails with when every member failed, holding their `Failure`s.
 *
 * @module
 */
import { GreenReactorError } from '../errors.js';
import type { Failure } from './failure.js';

/** Every member of a `race` failed; `failures` lists them in input order. */
export class FailureGroup extends GreenReactorError {
  /** The members' failures, in input order. */
  readonly failures: Failure[];

  /** @param failures - the failures, in input order. */
  constructor(failures: Failure[]) {
    super(`All ${failures.length} raced Deferreds failed`, 'ERR_FAILURE_GROUP');
    this.failures = failures;
  }
}
