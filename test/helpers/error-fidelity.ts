/**
 * The error-fidelity assertion both boundaries (a worker thread, a remote worker host) are held to: the error
 * `parseErrorFor(text)` (test/fixtures/parse-error.ts) threw on the far side arrives with its name, message, code,
 * own property and cause (SPEC §4, HOUSE_STYLE "Errors crossing the thread boundary keep …").
 *
 * @module
 */
import { expect } from '@jest/globals';

/**
 * Asserts that `error` is the `ParseError` `parseErrorFor(text)` threw, with nothing lost on the way.
 * @param error - what the Deferred errbacked with.
 * @param text - the text the task was given (the message is `cannot parse <text>`).
 */
export function expectParseErrorKept(error: any, text: string): void {
  expect(error).toBeInstanceOf(Error);
  expect(error.name).toBe('ParseError');
  expect(error.message).toBe(`cannot parse ${text}`);
  expect(error.code).toBe('E_PARSE');
  expect(error.line).toBe(42);
  expect(error.cause).toBeInstanceOf(RangeError);
  expect(error.cause.message).toBe('inner cause');
}
