import { describe, expect, it } from '@jest/globals';
import { fail } from '../../src/deferred/fail.js';
import { Failure } from '../../src/deferred/failure.js';
import { failureResultOf } from '../helpers/deferred-results.js';

describe('fail()', () => {
  it('returns a Deferred already failed with the reason', () => {
    const error = new RangeError('up front');
    const d = fail(error);
    expect(d.called).toBe(true);
    expect(failureResultOf(d, RangeError).value).toBe(error);
  });

  it('keeps a Failure it is given', () => {
    const f = new Failure('x');
    expect(failureResultOf(fail(f))).toBe(f);
  });

  it('uses a generic Error without a reason', () => {
    expect(failureResultOf(fail()).type).toBe(Error);
  });
});
