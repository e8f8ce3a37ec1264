/**
 * `FailureGroup`: the error `race` fails with when every member failed, holding their `Failure`s.
 *
 * @module
 */
import { GreenReactorError } from '../errors.js';
import { isFailure, type Failure } from './failure.js';

/** Every member of a `race` failed; `failures` lists them in input order. */
export class FailureGroup extends GreenReactorError {
  /** The members' failures, in input order. */
  readonly failures: Failure[];

  /**
   * Reads the traceback of each failure not read yet (a cancelled member's, see `cancelledFailure`): this error
   * holds them past their Deferreds, and an unread one keeps its cancelled Deferred (and the race's) alive.
   *
   * @param failures - the failures, in input order.
   */
  constructor(failures: Failure[]) {
    super(`All ${failures.length} raced Deferreds failed`, 'ERR_FAILURE_GROUP');
    for (const failure of failures) if (isFailure(failure)) failure.getTraceback();
    this.failures = failures;
  }
}
