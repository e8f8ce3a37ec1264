/**
 * Runs child processes a few at a time with each one's output held and printed whole when it ends, so that two
 * children's lines never interleave. `scripts/checks.mjs` (lint, typecheck and docs side by side) and
 * `scripts/test-shards.mjs` (the Jest shards) share it.
 *
 * Ctrl-C (or SIGTERM) is passed on to every running child's whole process group (a child such as `npm run lint` does
 * not pass it on to the `eslint` it started, which would run to its end holding the output pipe open), no further
 * child starts, and the exit code becomes 1.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** Children running now: a signal to this process is passed on to each. */
const running = new Set();
let stopping = false;

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopping = true;
    for (const child of running) killGroup(child, signal);
    process.exitCode = 1;
  });
}

/**
 * Sends `signal` to the child's process group (the child leads its own group, `detached`), or to the child alone
 * where there are no process groups (Windows).
 * @param {import('node:child_process').ChildProcess} child - a running child.
 * @param {NodeJS.Signals} signal - the signal.
 */
function killGroup(child, signal) {
  try {
    if (process.platform === 'win32' || child.pid === undefined) child.kill(signal);
    else process.kill(-child.pid, signal);
  } catch {
    // The group has already ended.
  }
}

/**
 * How many children run at once: the machine's cores, at most `limit`, or `GREENREACTOR_TEST_PARALLEL` when set (1
 * runs them one after another).
 * @param {number} limit - the number of jobs.
 * @returns {number}
 */
export function parallelism(limit) {
  return Math.max(1, Math.min(limit, Number(process.env.GREENREACTOR_TEST_PARALLEL) || availableParallelism()));
}

/**
 * Runs one child with its output held; when it ends, prints `----- <name> <ending> in <s> s -----` (or the
 * `=====` form, `banner`), then its whole output.
 * @param {string} name - what the line calls it, e.g. `npm run lint` or `[shard 1/4]`.
 * @param {string} command - the program.
 * @param {string[]} args - its arguments.
 * @param {string} banner - the rule's character run, `-----` or `=====`.
 * @returns {Promise<{ ok: boolean, code: number | null, signal: string | null, seconds: number, output: string }>}
 */
export function runHeld(name, command, args, banner = '-----') {
  const started = Date.now();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32', detached: process.platform !== 'win32' });
  running.add(child);
  const output = [];
  child.stdout.on('data', (chunk) => output.push(chunk));
  child.stderr.on('data', (chunk) => output.push(chunk));
  return new Promise((resolve) => {
    child.on('error', (error) => output.push(Buffer.from(`${name} could not start: ${error.message}\n`)));
    child.on('close', (code, signal) => {
      running.delete(child);
      const seconds = (Date.now() - started) / 1000;
      const ok = code === 0;
      const ending = ok ? 'passed' : signal !== null ? `ended by ${signal}` : `failed (exit code ${code})`;
      const text = Buffer.concat(output);
      process.stdout.write(`${banner} ${name} ${ending} in ${seconds.toFixed(1)} s ${banner}\n`);
      process.stdout.write(text);
      resolve({ ok, code, signal, seconds, output: text.toString() });
    });
  });
}

/**
 * Runs `run(job)` for every job, `parallel` at a time, in the jobs' order; stops taking jobs after a signal.
 * @template J, R
 * @param {J[]} jobs - what to run.
 * @param {number} parallel - how many at once.
 * @param {(job: J) => Promise<R>} run - runs one job.
 * @returns {Promise<R[]>} the results of the jobs that ran, in the order they ended.
 */
export async function runInLanes(jobs, parallel, run) {
  const queue = [...jobs];
  const results = [];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let job = queue.shift(); job !== undefined && !stopping; job = queue.shift()) results.push(await run(job));
    }),
  );
  return results;
}
