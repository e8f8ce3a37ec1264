#!/usr/bin/env node
/**
 * Runs the static checks of `npm test` — `typecheck` and `lint` as one job on one TypeScript program
 * (`scripts/typecheck-and-lint.mjs`), and `docs` (the npm script) — at the same time, as many at once as the machine
 * has cores, and prints each one's output whole when it ends (so two checks' lines never interleave), then one line
 * with each check's outcome and time.
 *
 * Why: they read the whole project and need nothing of each other; one after another they were a minute and a half
 * of `npm test` on a loaded two-core machine, most of it one core waiting. Why typecheck and lint together: ESLint's
 * type-aware rules need the whole program checked, the work `tsc` does; on their own the two did it twice (CPU
 * seconds: 21.7 + 57.0 apart, 43.6 together; see that file). The build runs before (the docs and the tests need
 * `dist/`), the Jest shards after (`scripts/test-shards.mjs`).
 *
 * The exit code is 1 when any check failed (or was ended by a signal); Ctrl-C ends them all (`scripts/run-held.mjs`).
 *
 * Usage: `node scripts/checks.mjs` (`GREENREACTOR_TEST_PARALLEL=1` runs them one after another).
 */
import { parallelism, runHeld, runInLanes } from './run-held.mjs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** Each check: its name, and the command that runs it. The longest first: it starts at once. */
const checks = [
  { check: 'typecheck+lint', command: process.execPath, args: ['scripts/typecheck-and-lint.mjs'] },
  { check: 'docs', command: npm, args: ['run', '--silent', 'docs'] },
];
const parallel = parallelism(checks.length);

const outcomes = await runInLanes(checks, parallel, async ({ check, command, args }) => ({ check, ...(await runHeld(check, command, args)) }));
process.stdout.write(`Checks (${parallel} at a time): ${outcomes.map((o) => `${o.check} ${o.ok ? 'passed' : 'FAILED'} in ${o.seconds.toFixed(0)} s`).join(', ')}\n`);
if (outcomes.some((o) => !o.ok) || outcomes.length < checks.length) process.exitCode = 1;
