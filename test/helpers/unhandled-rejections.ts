/**
 * Fail each test of a file that leaves an unhandled Promise rejection: register once at the top of the file.
 *
 * @module
 */
import { afterEach, beforeEach, expect } from '@jest/globals';

/** Registers hooks that collect the unhandled rejections of each test and expect none after it (one turn later). */
export function expectNoUnhandledRejections(): void {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });
}
