#!/usr/bin/env node
/**
 * Runs the Jest suite (`npm test`'s last step) as four shards, as many at a time as the machine has cores (at most
 * four), each its own Jest process, in band.
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
 * Open handles: the suite's test environment (`test/setup/open-handles-environment.cjs`) fails a test file that
 * leaves a timer, socket, `MessagePort`, worker… open after its last `afterAll`, naming the kinds. The shards do not
 * run under `--detectOpenHandles`: its async hooks made every file several times slower (a file that only loads the
 * package: 0.85 s against 0.35 s; thread-stream: 122 s against 19 s); add it to find where a named handle was made
 * (`npm run jest -- --detectOpenHandles <file>`). `--forceExit`: a handle that outlives the check (made outside a
 * test file's environment) would keep a shard's Jest alive for ever after its tests (seen once, a ref'd `MessagePort`
 * with no listener, in the round-20 CI), so the shard ends anyway; under `--detectOpenHandles` this script repeats
 * Jest's report of such a handle as a WARNING line under the shard.
 *
 * Usage: `node scripts/test-shards.mjs [jest arguments…]` — the arguments go to every shard (one whose files they
 * all leave out fails: choose files with `npm run jest -- <files>` instead)
 * (`GREENREACTOR_TEST_PARALLEL=1` runs the shards one after another).
 */
import { parallelism, runHeld, runInLanes } from './run-held.mjs';

const shardCount = 4;
const parallel = parallelism(shardCount);
const jestArgs = process.argv.slice(2);
/**
 * One Jest worker process per shard, replaced by a fresh one after a file that leaves its heap above the limit: a
 * shard run in band kept every file's module graph (2.2 GB by its end), and a test that forces `gc()` then took
 * seconds per call (hub-wait-abandon-control: 43 s, past its 20 s timeouts, against 2 s alone).
 */
const workerArgs = ['--maxWorkers=1', '--workerIdleMemoryLimit=1GB'];

/**
 * Runs one shard to its end.
 * @param {number} shard - 1-based.
 * @returns {Promise<{ shard: number, ok: boolean, seconds: number }>}
 */
async function runShard(shard) {
  const label = `[shard ${shard}/${shardCount}]`;
  process.stdout.write(`${label} started\n`);
  const args = ['--experimental-vm-modules', '--expose-gc', 'node_modules/jest/bin/jest.js', '--forceExit', ...workerArgs, `--shard=${shard}/${shardCount}`, ...jestArgs];
  const { ok, seconds, output } = await runHeld(label, process.execPath, args, '=====');
  // --forceExit ends a shard whose tests left a handle open (it would otherwise never exit): say so loudly when Jest
  // found one (it looks only under `node scripts/test-shards.mjs --detectOpenHandles`).
  if (/open handles? potentially keeping Jest from exiting/.test(output)) process.stdout.write(`${label} WARNING: Jest reported an open handle (above)\n`);
  return { shard, ok, seconds };
}

const shards = Array.from({ length: shardCount }, (_, i) => i + 1);
const results = await runInLanes(shards, parallel, runShard);
results.sort((a, b) => a.shard - b.shard);
process.stdout.write(`\nJest shards (${parallel} at a time): ${results.map((r) => `${r.shard}/${shardCount} ${r.ok ? 'passed' : 'FAILED'} in ${r.seconds.toFixed(0)} s`).join(', ')}\n`);
if (results.some((r) => !r.ok) || results.length < shardCount) process.exitCode = 1;
