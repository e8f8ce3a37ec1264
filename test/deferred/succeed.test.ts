import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { succeed } from '../../src/deferred/succeed.js';
import { successResultOf } from '../helpers/deferred-results.js';

describe('succeed()', () => {
  it('returns a Deferred already fired with the value', () => {
    const d = succeed('now');
    expect(d.called).toBe(true);
    expect(successResultOf(d)).toBe('now');
  });

  it('throws TypeError for a Deferred value', () => {
    expect(() => succeed(new Deferred())).toThrow(TypeError);
  });
});
