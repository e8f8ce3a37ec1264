import { describe, expect, it } from '@jest/globals';
import { StepStats } from '../../src/green/step-stats.js';
import { StepTimer } from '../../src/green/step-timer.js';

/** The injected wall time: a step "takes" `ms` by advancing it. */
let wall = 0;
const now = (): number => wall;
function busy(ms: number): void {
  wall += ms;
}

function runStep(timer: StepTimer, stats: StepStats, g: object, ms: number): boolean {
  const solo = timer.solo(stats);
  if (ms > 0) busy(ms);
  timer.after(g, stats, solo);
  return solo;
}

describe('StepTimer', () => {
  it('batches a suspect task again after enough fast steps alone', () => {
    const timer = new StepTimer(10, now, () => undefined);
    const stats = new StepStats('recovering');
    stats.suspect = 3;
    timer.start();
    for (let i = 0; i < 3; i++) expect(runStep(timer, stats, {}, 0)).toBe(true);
    expect(stats.suspect).toBe(0);
    let batched = 0;
    for (let i = 0; i < 100; i++) if (!runStep(timer, stats, {}, 0)) batched++;
    expect(batched).toBeGreaterThan(50);
  });

  it('times a slow step alone and reports it with its greenlet', () => {
    const reports: Array<[unknown, string, number]> = [];
    const timer = new StepTimer(2, now, (g, s, ms) => reports.push([g, s.name, ms]));
    const slow = new StepStats('slow');
    const g = {};
    timer.start();
    expect(runStep(timer, slow, g, 3)).toBe(true);
    expect(reports).toHaveLength(1);
    expect(reports[0]![0]).toBe(g);
    expect(reports[0]![1]).toBe('slow');
    expect(reports[0]![2]).toBe(3);
  });

  it('batches short steps between clock reads', () => {
    const timer = new StepTimer(20, now, () => undefined);
    const quick = new StepStats('quick');
    timer.start();
    let solo = 0;
    for (let i = 0; i < 1000; i++) if (runStep(timer, quick, {}, 0)) solo++;
    timer.finish();
    expect(quick.steps).toBe(1000);
    expect(solo).toBeLessThan(200); // most steps ran in batches
    expect(quick.snapshot().steps).toBe(1000);
  });

  it('never blames a batch: it marks its tasks as suspects, times their next steps alone, and reports the one that blocks again', () => {
    const reports: string[] = [];
    const timer = new StepTimer(10, now, (_g, s) => reports.push(s.name));
    const quick = new StepStats('quick');
    const blocker = new StepStats('blocker');
    timer.start();
    for (let i = 0; i < 200; i++) runStep(timer, quick, {}, 0); // batches grow
    let batchedBlock = false;
    for (let i = 0; i < 200 && !batchedBlock; i++) {
      // run the blocker only as a batched (not solo) step
      const solo = timer.solo(blocker);
      if (!solo) {
        busy(12);
        batchedBlock = true;
      }
      timer.after({}, blocker, solo);
    }
    expect(batchedBlock).toBe(true);
    for (let i = 0; i < 70; i++) runStep(timer, quick, {}, 0); // closes the batch
    timer.finish();
    expect(reports).toEqual([]);
    expect(blocker.suspect).toBeGreaterThan(100);
    for (let i = 0; i < 100; i++) expect(runStep(timer, blocker, {}, 0)).toBe(true); // a suspect is timed alone for a while
    expect(runStep(timer, blocker, {}, 12)).toBe(true);
    expect(reports[reports.length - 1]).toBe('blocker');
    expect(reports).not.toContain('quick');
  });
});
