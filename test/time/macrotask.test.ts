import { describe, expect, it } from '@jest/globals';
import { runOnNextTurn } from '../../src/time/macrotask.js';

describe('runOnNextTurn()', () => {
  it('runs the function later, after the microtasks already queued', async () => {
    const seen: string[] = [];
    const ran = new Promise<void>((resolve) =>
      runOnNextTurn(() => {
        seen.push('next turn');
        resolve();
      }),
    );
    queueMicrotask(() => seen.push('microtask'));
    seen.push('sync');
    await ran;
    expect(seen).toEqual(['sync', 'microtask', 'next turn']);
  });
});
