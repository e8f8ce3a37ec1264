import { describe, expect, it } from '@jest/globals';
import * as api from '../../src/index.js';
import * as errors from '../../src/errors.js';
import { Failure } from '../../src/deferred/failure.js';
import { reviveError, serializeError } from '../../src/threads/error-transport.js';

/** Every error class the package exports (src/errors.ts and the Deferred combinators' two), made with a message. */
const classes = (Object.entries(api) as Array<[string, unknown]>).filter(
  (entry): entry is [string, new (message: string) => errors.GreenReactorError] =>
    typeof entry[1] === 'function' &&
    (entry[1] === errors.GreenReactorError || (entry[1] as { prototype: unknown }).prototype instanceof errors.GreenReactorError),
);

describe('error transport', () => {
  it('knows every error class the package exports', () => {
    expect(classes.length).toBeGreaterThan(15);
    expect(classes.map(([name]) => name)).toEqual(expect.arrayContaining(['FirstError', 'FailureGroup', 'CancelledError']));
  });

  it.each(classes)('brings %s back across a thread boundary as its own class, with its code', (name, ErrorClass) => {
    const sent =
      name === 'PolicyConfigError'
        ? new errors.PolicyConfigError([])
        : name === 'FirstError'
          ? new api.FirstError(new Failure(new Error('member failed')), 2)
          : new ErrorClass('went wrong');
    const back = reviveError(structuredClone(serializeError(sent))) as errors.GreenReactorError;
    expect(back).toBeInstanceOf(ErrorClass);
    expect(back.name).toBe(sent.name);
    expect(back.code).toBe(sent.code);
    expect(back.message).toBe(sent.message);
  });
});
