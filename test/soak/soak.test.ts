import { describe, expect, it } from '@jest/globals';
import { runSoak } from '../../src/soak/run-soak.js';
import { formatSoakReport } from '../../src/soak/soak-report.js';

/** Workers load JavaScript: the soak's worker-side functions come from the build (npm test builds first). */
const taskModuleUrl = new URL('../../dist/src/soak/soak-tasks.js', import.meta.url);

describe('runSoak', () => {
  it('passes every check of `npm run soak` at 5,000 mixed calls', async () => {
    const report = await runSoak({ calls: 5000, taskModuleUrl });
    // The whole report on failure: which check, with its counts and samples.
    expect(report.passed ? [] : formatSoakReport(report)).toEqual([]);
    expect(report.checks.length).toBeGreaterThanOrEqual(9);
    expect(report.calls).toBe(5000);
  }, 300_000);
});
