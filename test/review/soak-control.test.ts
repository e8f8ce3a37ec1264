/**
 * Adversarial tests of the fault soak's own control (`runSoak`, `greenreactor soak`): its checks judge the library,
 * so a run the user asked for must not fail a check the library kept (a false alarm is an exit code 1 in their CI).
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { runSoak } from '../../src/soak/run-soak.js';
import { formatSoakReport } from '../../src/soak/soak-report.js';

/** Workers load JavaScript: the soak's worker-side functions come from the build (npm test builds first). */
const taskModuleUrl = new URL('../../dist/src/soak/soak-tasks.js', import.meta.url);

describe('runSoak', () => {
  it.each([0, 1])('passes its checks with %i calls (a pool that never started a worker has none to shrink back to)', async (calls) => {
    const report = await runSoak({ calls, warmupCalls: calls, taskModuleUrl, graceMs: 50 });
    // 'no handle left open' compares the whole process's handles: under Jest its reporter arms timers of its own in
    // this process now and then (seen: Status._debouncedEmit's 100 ms timer), so this test leaves that check out.
    const failed = report.checks.filter((c) => !c.passed && c.name !== 'no handle left open');
    expect(failed.length === 0 ? [] : formatSoakReport(report)).toEqual([]);
    expect(report.checks.find((c) => c.name === 'pool back to minThreads')?.passed).toBe(true);
    expect(report.calls).toBe(calls);
  }, 60_000);
});
