/** `measureSustained`: the held-in-flight loop-delay measure of the threads bench (`bench/lib/measure-sustained.ts`). */
import { describe, it, expect } from '@jest/globals';
import { measureSustained, type SustainedVariant } from '../../bench/lib/measure-sustained.js';

describe('measureSustained()', () => {
  const quiet = (): void => undefined;

  /** A variant whose calls complete a turn later, recording how many are in flight and in what order rounds ran. */
  function counting(name: string, seen: string[]): SustainedVariant & { inFlight: number; most: number; started: number } {
    const variant = {
      name,
      inFlight: 0,
      most: 0,
      started: 0,
      start: (done: () => void): void => {
        if (seen.at(-1) !== name) seen.push(name);
        variant.started++;
        variant.most = Math.max(variant.most, ++variant.inFlight);
        setImmediate(() => {
          variant.inFlight--;
          done();
        });
      },
    };
    return variant;
  }

  it('keeps exactly inFlight calls in flight, alternates the order every other round, and resolves once every call completed', async () => {
    const seen: string[] = [];
    const a = counting('a', seen);
    const b = counting('b', seen);
    const { group, extras } = await measureSustained('t', { name: 'w', description: 'd', inFlight: 8, baseline: 'a', variants: [a, b] }, { rounds: 2, windowMs: 20 }, quiet);
    expect(seen).toEqual(['a', 'b', 'a']); // round 1: a, b; round 2: b, a
    for (const v of [a, b]) {
      expect(v.most).toBe(8);
      expect(v.inFlight).toBe(0);
      expect(v.started).toBeGreaterThan(8 * 2); // completions inside the windows were replaced
    }
    expect(group.rows.map((r) => r.name)).toEqual(['a', 'b']);
    expect(group.rows.every((r) => r.opsPerSec > 0 && r.batch === 8 && r.loopDelay.count > 0)).toBe(true);
    expect(extras.get('b')?.samples).toBe(group.rows[1]?.loopDelay.count);
  });
});
