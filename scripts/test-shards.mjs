#!/usr/bin/env node
/**
 * Runs the Jest suite (`npm test`'s last step) as four shards, as many at a time as the machine has cores (at most
 * four), each its own Jest process, in band, under `--detectOpenHandles`.
 *
 * Why shards: one Jest process that runs every ES-module test file keeps every file's module graph (2.2 GB by the
 * end), and the soak tests that force `gc()` of that heap then take minutes instead of seconds. Why at the same time:
 * a shard spends much of its time waiting (child processes, worker threads, a real `redis-server`), so two shards on
 * two cores take little more than the longer of the two.
 *
 * Which files go to which shard: `test/shard-sequencer.cjs` (by the weights in `test/shard-weights.json`), so that
 * the shards take about the same time.
 *
 * Each shard's output is held and printed whole when the shard ends, so two shards' lines never interleave; a line
 * says when each starts and ends. The exit code is 1 when any shard failed (or was ended by a signal).
 *
 * `--forceExit`: a handle a test leaves open would keep a shard's Jest alive for ever after its tests (seen once, a
 * ref'd `MessagePort` with no listener, in the round-20 CI); Jest still reports it (`--detectOpenHandles`), this
 * script repeats the warning under the shard, and the shard ends.
 *
 * Usage: `node scripts/test-shards.mjs [jest arguments…]` — the arguments go to every shard (one whose files they
 * all leave out fails: choose files with `npm run jest -- <files>` instead)
 * (`GREENREACTOR_TEST_PARALLEL=1` runs the shards one after another).
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const shardCount = 4;
const parallel = Math.max(1, Math.min(shardCount, Number(process.env.GREENREACTOR_TEST_PARALLEL) || availableParallelism()));
const jestArgs = process.argv.slice(2);
const children = new Set();
const results = [];
let stopping = false;

/**
 * Runs one shard to its end.
 * @param {number} shard - 1-based.
 * @returns {Promise<{ shard: number, code: number | null, signal: string | null, seconds: number }>}
 */
function runShard(shard) {
  const started = Date.now();
  const label = `[shard ${shard}/${shardCount}]`;
  process.stdout.write(`${label} started\n`);
  const args = ['--experimental-vm-modules', '--expose-gc', 'node_modules/jest/bin/jest.js', '--detectOpenHandles', '--forceExit', `--shard=${shard}/${shardCount}`, ...jestArgs];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const output = [];
  child.stdout.on('data', (chunk) => output.push(chunk));
  child.stderr.on('data', (chunk) => output.push(chunk));
  return new Promise((resolve) => {
    child.on('error', (error) => output.push(Buffer.from(`${label} could not start: ${error.message}\n`)));
    child.on('close', (code, signal) => {
      children.delete(child);
      const seconds = (Date.now() - started) / 1000;
      const ending = code === 0 ? 'passed' : signal !== null ? `ended by ${signal}` : `failed (exit code ${code})`;
      const text = Buffer.concat(output);
      process.stdout.write(`\n===== ${label} ${ending} in ${seconds.toFixed(1)} s =====\n`);
      process.stdout.write(text);
      // --forceExit ends a shard whose tests left a handle open (it would otherwise never exit): say so loudly.
      if (/open handles? potentially keeping Jest from exiting/.test(text.toString())) process.stdout.write(`${label} WARNING: Jest reported an open handle (above)\n`);
      resolve({ shard, code, signal, seconds });
    });
  });
}

/** Takes the next shard until none is left: `parallel` of these run at once. */
async function lane(next) {
  for (let shard = next(); shard <= shardCount; shard = next()) results.push(await runShard(shard));
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopping = true;
    for (const child of children) child.kill(signal);
    process.exitCode = 1;
  });
}

let nextShard = 1;
const takeShard = () => (stopping ? Infinity : nextShard++);
await Promise.all(Array.from({ length: parallel }, () => lane(takeShard)));

results.sort((a, b) => a.shard - b.shard);
const failed = results.filter((r) => r.code !== 0);
process.stdout.write(`\nJest shards (${parallel} at a time): ${results.map((r) => `${r.shard}/${shardCount} ${r.code === 0 ? 'passed' : 'FAILED'} in ${r.seconds.toFixed(0)} s`).join(', ')}\n`);
if (failed.length > 0) process.exitCode = 1;
