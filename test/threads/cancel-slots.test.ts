import { describe, expect, it } from '@jest/globals';
import { CancelSlots, maxSlotCount } from '../../src/threads/cancel-slots.js';

describe('CancelSlots', () => {
  describe('.acquire()', () => {
    it('hands out far more than 65,536 distinct slots at once, growing the shared memory', () => {
      const slots = new CancelSlots();
      const taken = new Set<number>();
      for (let i = 0; i < 70_000; i++) taken.add(slots.acquire());
      expect(taken.has(-1)).toBe(false);
      expect(taken.size).toBe(70_000);
      expect(slots.inUse).toBe(70_000);
      expect(slots.buffer.byteLength).toBeGreaterThanOrEqual(70_000 * 4);
      expect(maxSlotCount).toBeGreaterThanOrEqual(1 << 22);
    });

    it('returns -1 only past its limit', () => {
      const slots = new CancelSlots(2, 5);
      const taken = Array.from({ length: 5 }, () => slots.acquire());
      expect(new Set(taken).size).toBe(5);
      expect(taken.every((s) => s >= 0 && s < 5)).toBe(true);
      expect(slots.acquire()).toBe(-1);
      slots.release(taken[3]!);
      expect(slots.acquire()).toBe(taken[3]);
    });

    it('gives grown slots clear cancel bits and no timings', () => {
      const slots = new CancelSlots(1, 4);
      const first = slots.acquire();
      const grown = slots.acquire();
      expect(grown).not.toBe(first);
      expect(slots.cancel(grown)).toBe(0); // not started
      expect(slots.runningThread(grown)).toBe(0);
      expect(Number.isNaN(slots.startedAt(grown))).toBe(true);
      expect(Number.isNaN(slots.runMs(grown))).toBe(true);
      slots.release(grown);
      expect(new Int32Array(slots.buffer)[grown]).toBe(0); // the cancel bit is cleared on release
    });
  });
});
