import { describe, expect, it } from '@jest/globals';
import { Failure } from '../../src/deferred/failure.js';
import { CancelledError, GreenReactorError, TimeoutError } from '../../src/errors.js';

describe('Failure', () => {
  describe('.value / .type', () => {
    it('keeps the wrapped error and its constructor', () => {
      const error = new TypeError('bad');
      const f = new Failure(error);
      expect(f.value).toBe(error);
      expect(f.type).toBe(TypeError);
    });

    it.each([['a string', 'boom'], ['a number', 42], ['undefined', undefined], ['null', null]])(
      'has an undefined type for %s',
      (_label, value) => {
        const f = new Failure(value);
        expect(f.value).toBe(value);
        expect(f.type).toBeUndefined();
      },
    );

    it('uses the constructor of a non-error object', () => {
      class Custom {}
      expect(new Failure(new Custom()).type).toBe(Custom);
    });
  });

  describe('.check()', () => {
    it('returns the first type the value is an instance of, subclasses included', () => {
      const f = new Failure(new CancelledError());
      expect(f.check(TimeoutError, GreenReactorError, CancelledError)).toBe(GreenReactorError);
      expect(f.check(CancelledError)).toBe(CancelledError);
    });

    it('returns null when no type matches', () => {
      expect(new Failure(new RangeError('x')).check(TypeError, CancelledError)).toBeNull();
    });

    it('returns null for a non-object value', () => {
      expect(new Failure('text').check(Error, String)).toBeNull();
    });
  });

  describe('.trap()', () => {
    it('returns the matching type', () => {
      expect(new Failure(new TypeError('x')).trap(RangeError, TypeError)).toBe(TypeError);
    });

    it('throws this same Failure when nothing matches', () => {
      const f = new Failure(new RangeError('x'));
      let thrown: unknown;
      try {
        f.trap(TypeError);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBe(f);
    });
  });

  describe('.getErrorMessage()', () => {
    it('gives the error message', () => {
      expect(new Failure(new Error('went wrong')).getErrorMessage()).toBe('went wrong');
    });

    it('gives the message of an error-like object', () => {
      expect(new Failure({ message: 'plain object' }).getErrorMessage()).toBe('plain object');
    });

    it('gives a non-error value as a string', () => {
      expect(new Failure(7).getErrorMessage()).toBe('7');
      expect(new Failure(Symbol('s')).getErrorMessage()).toBe('Symbol(s)');
    });
  });

  describe('.getTraceback()', () => {
    it("includes the error's stack with the function that threw", () => {
      function throwingFunctionForTraceback(): never {
        throw new Error('deep');
      }
      let f: Failure | undefined;
      try {
        throwingFunctionForTraceback();
      } catch (error) {
        f = new Failure(error);
      }
      expect(f?.getTraceback()).toContain('Error: deep');
      expect(f?.getTraceback()).toContain('throwingFunctionForTraceback');
    });

    it('keeps the stack as it was when the Failure was made', () => {
      const error = new Error('original');
      const f = new Failure(error);
      error.stack = 'rewritten later';
      expect(f.getTraceback()).toContain('Error: original');
    });

    it('describes a thrown non-error value', () => {
      expect(new Failure('oops').getTraceback()).toContain('oops');
    });
  });

  describe('.raiseException()', () => {
    it('throws the wrapped value, not the Failure', () => {
      const error = new Error('again');
      expect(() => new Failure(error).raiseException()).toThrow(error);
    });
  });
});
