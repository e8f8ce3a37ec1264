import { describe, expect, it } from '@jest/globals';
import { passNote } from '../../bench/green.bench.js';

describe('green bench: the note on a slice row', () => {
  it("gives the passes' p50, p99 and max, and counts those longer than the slice + 1 ms", () => {
    const passes = [...Array.from({ length: 98 }, () => 16.05), 17.5, 30];
    const note = passNote(16, passes.reverse(), 100);
    expect(note).toContain("the hub's 100 passes");
    expect(note).toContain('p50 16.05 ms, p99 30.00 ms, max 30.00 ms; 2 ran longer than the slice + 1 ms');
    expect(note).toContain('100 turns, so its p99 is about the longest');
  });

  it('names the rank of the p99 turn when there are many turns', () => {
    expect(passNote(4, [4.02, 4.03], 505)).toContain('505 turns, so its p99 is about the 6th-longest');
    expect(passNote(4, [4.02, 4.03], 505)).toContain('0 ran longer');
  });

  it.each([
    [127, '2nd'],
    [250, '3rd'],
    [2038, '21st'],
    [1150, '12th'],
  ])('writes the rank as an ordinal (%i turns: %s-longest)', (turns, rank) => {
    expect(passNote(16, [16.05], turns)).toContain(`so its p99 is about the ${rank}-longest`);
  });
});
