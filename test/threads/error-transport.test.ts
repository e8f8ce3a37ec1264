import { describe, expect, it } from '@jest/globals';
import * as errors from '../../src/errors.js';
import { Failure } from '../../src/deferred/failure.js';
import { reviveError, serializeError } from '../../src/threads/error-transport.js';

/** Every error class src/errors.ts exports, made with a message (constructors take it first). */
const classes = (Object.entries(errors) as Array<[string, unknown]>).filter(
  (entry): entry is [string, new (message: string) => errors.GreenReactorError] =>
    typeof entry[1] === 'function' &&
    (entry[1] === errors.GreenReactorError || (entry[1] as { prototype: unknown }).prototype instanceof errors.GreenReactorError),
);

describe('error transport', () => {
  it('knows every error class src/errors.ts exports', () => {
    expect(classes.length).toBeGreaterThan(15);
  });

  it.each(classes)('brings %s back across a thread boundary as its own class, with its code', (name, ErrorClass) => {
    const sent =
      name === 'PolicyConfigError'
        ? new errors.PolicyConfigError([])
        : name === 'FirstError'
          ? new errors.FirstError(new Failure(new Error('member failed')), 2)
          : new ErrorClass('went wrong');
    const back = reviveError(structuredClone(serializeError(sent))) as errors.GreenReactorError;
    expect(back).toBeInstanceOf(ErrorClass);
    expect(back.name).toBe(sent.name);
    expect(back.code).toBe(sent.code);
    expect(back.message).toBe(sent.message);
  });
});
