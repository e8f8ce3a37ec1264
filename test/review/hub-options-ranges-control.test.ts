/**
 * `new Hub(options)` takes each numeric option only in its range — the same range as the policy's `green.*` option
 * (src/option-ranges.ts, one definition) — and refuses a number past it where the hub is made, with a `RangeError`
 * naming the option (a value that is not a number: `TypeError`). Before, `maxGreenlets: 2 ** 60`, `sliceMs: 1e308`
 * and `blockingThresholdMs: 1e300` were taken: limits that bound nothing, or a slice that never yields to the loop.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Hub } from '../../src/index.js';
import { durationMsRange, heldCountRange, type OptionRange } from '../../src/option-ranges.js';

type NumericHubOption = 'sliceMs' | 'blockingThresholdMs' | 'maxGreenlets';

/** Every numeric Hub option and its range. */
const numericOptions: Array<[NumericHubOption, OptionRange]> = [
  ['sliceMs', durationMsRange],
  ['blockingThresholdMs', durationMsRange],
  ['maxGreenlets', heldCountRange],
];

/** What the hub took for `key`, or the error it threw. */
function make(key: NumericHubOption, value: unknown): number | Error {
  try {
    return new Hub({ [key]: value }).options[key];
  } catch (error) {
    return error as Error;
  }
}

describe('new Hub(options) with a numeric option at the edges of its range', () => {
  it.each(numericOptions)('takes %s at its least value', (key, range) => {
    expect(make(key, range.min)).toBe(range.min);
  });

  it.each(numericOptions)('takes %s at its greatest value', (key, range) => {
    expect(make(key, range.max)).toBe(range.max);
  });

  it.each(numericOptions)('refuses %s just past its greatest value with a RangeError naming it and the range', (key, range) => {
    const error = make(key, range.max + 1);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toContain(`Expected \`${key}\` to be`);
    expect((error as Error).message).toContain(`from ${range.min} to ${range.max}`);
  });

  it.each(numericOptions)('refuses %s just below its least value with a RangeError naming it', (key, range) => {
    const below = range.integer ? range.min - 1 : range.min - 0.5;
    expect(make(key, below)).toEqual(expect.any(RangeError));
    expect((make(key, below) as Error).message).toContain(`\`${key}\``);
  });

  it.each<[NumericHubOption, number]>([
    ['maxGreenlets', 2 ** 60],
    ['sliceMs', 1e308],
    ['blockingThresholdMs', 1e300],
    ['sliceMs', Infinity],
    ['blockingThresholdMs', Number.NaN],
  ])('refuses %s = %p (it bounded nothing) with a RangeError naming it', (key, value) => {
    const error = make(key, value);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toContain(`\`${key}\``);
  });

  it('refuses a fractional maxGreenlets inside the range with a RangeError (it counts greenlets)', () => {
    expect(make('maxGreenlets', 2.5)).toEqual(expect.any(RangeError));
  });

  it('takes maxGreenlets = Infinity (no limit, the default)', () => {
    expect(make('maxGreenlets', Infinity)).toBe(Infinity);
    expect(new Hub().options.maxGreenlets).toBe(Infinity);
  });

  it.each(numericOptions)('refuses %s given as a string with a TypeError naming it', (key, range) => {
    const error = make(key, String(range.min));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain(`\`${key}\``);
  });
});
