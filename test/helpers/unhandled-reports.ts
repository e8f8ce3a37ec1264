/**
 * The unhandled-error handler for one test: route its reports into an array (or to a handler of the test's own),
 * and put the handler that was in place back afterwards (`afterEach(restoreUnhandledErrorHandler)`).
 *
 * @module
 */
import type { Failure } from '../../src/deferred/failure.js';
import { setUnhandledErrorHandler, type UnhandledErrorHandler } from '../../src/deferred/unhandled-error-handler.js';

/** The handler in place before the test set its own, until restored. */
let before: UnhandledErrorHandler | null = null;

/**
 * Set `handler` as the unhandled-error handler until {@link restoreUnhandledErrorHandler}.
 * @param handler - receives each report.
 */
export function useUnhandledErrorHandler(handler: UnhandledErrorHandler): void {
  const previous = setUnhandledErrorHandler(handler);
  before ??= previous;
}

/**
 * Route unhandled-error reports into an array until {@link restoreUnhandledErrorHandler}.
 * @returns the array the reports go to, in the order they arrive.
 */
export function captureReports(): Failure[] {
  const reports: Failure[] = [];
  useUnhandledErrorHandler((f) => reports.push(f));
  return reports;
}

/** Put back the handler that was in place before this test set one (nothing when it set none). */
export function restoreUnhandledErrorHandler(): void {
  if (before === null) return;
  setUnhandledErrorHandler(before);
  before = null;
}
