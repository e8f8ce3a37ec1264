#!/usr/bin/env node
/**
 * Runs the static checks of `npm test` — `lint`, `typecheck` and `docs` (each an npm script) — at the same time, as
 * many at once as the machine has cores, and prints each one's output whole when it ends (so two checks' lines never
 * interleave), then one line with each check's outcome and time.
 *
 * Why: the three read the whole project and need nothing of each other; one after another they were a minute and a
 * half of `npm test` on a loaded two-core machine, most of it one core waiting. The build runs before (the docs and
 * the tests need `dist/`), the Jest shards after (`scripts/test-shards.mjs`).
 *
 * The exit code is 1 when any check failed (or was ended by a signal); Ctrl-C ends them all.
 *
 * Usage: `node scripts/checks.mjs` (`GREENREACTOR_TEST_PARALLEL=1` runs them one after another).
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const checks = ['lint', 'typecheck', 'docs'];
const parallel = Math.max(1, Math.min(checks.length, Number(process.env.GREENREACTOR_TEST_PARALLEL) || availableParallelism()));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const running = new Set();
const outcomes = [];
let stopping = false;

/**
 * Runs `npm run <check>` with its output held.
 * @param {string} check - the npm script.
 * @returns {Promise<{ check: string, ok: boolean, seconds: number }>}
 */
function runCheck(check) {
  const started = Date.now();
  const child = spawn(npm, ['run', '--silent', check], { stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
  running.add(child);
  const output = [];
  child.stdout.on('data', (chunk) => output.push(chunk));
  child.stderr.on('data', (chunk) => output.push(chunk));
  return new Promise((resolve) => {
    child.on('error', (error) => output.push(Buffer.from(`${check} could not start: ${error.message}\n`)));
    child.on('close', (code, signal) => {
      running.delete(child);
      const seconds = (Date.now() - started) / 1000;
      const ok = code === 0;
      const ending = ok ? 'passed' : signal !== null ? `ended by ${signal}` : `failed (exit code ${code})`;
      process.stdout.write(`----- npm run ${check} ${ending} in ${seconds.toFixed(1)} s -----\n`);
      process.stdout.write(Buffer.concat(output));
      resolve({ check, ok, seconds });
    });
  });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopping = true;
    for (const child of running) child.kill(signal);
    process.exitCode = 1;
  });
}

const queue = [...checks];
await Promise.all(
  Array.from({ length: parallel }, async () => {
    for (let check = queue.shift(); check !== undefined && !stopping; check = queue.shift()) outcomes.push(await runCheck(check));
  }),
);
process.stdout.write(`Checks (${parallel} at a time): ${outcomes.map((o) => `${o.check} ${o.ok ? 'passed' : 'FAILED'} in ${o.seconds.toFixed(0)} s`).join(', ')}\n`);
if (outcomes.some((o) => !o.ok) || outcomes.length < checks.length) process.exitCode = 1;
