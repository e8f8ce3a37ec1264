#!/usr/bin/env node
/**
 * Writes `test/shard-weights.json`, the seconds each slow test file took, read from the output of a whole
 * `npm test` run (`npm test 2>&1 | tee run.log`, then `node scripts/test-weights.mjs run.log`).
 *
 * Why: `scripts/test-shards.mjs` runs the suite as four Jest shards, two at a time on two cores, and the suite's wall
 * time is the longest lane. Jest's own sharding splits by a hash of the path, so one shard could hold the three
 * slowest files and take twice as long as another. `test/shard-sequencer.cjs` instead deals the files out by these
 * weights (the heaviest first, each to the lightest shard). Jest prints a file's time when it passes
 * `slowTestThreshold` (0 s in `jest.config.js`, so every file); a file the log gives no time for counts as
 * `defaultSeconds`, the mean of such files' share of the shards' total time, or — when every file has its time — the
 * median file's time (what a new file is likely to take). Stale weights only make the shards less even, never wrong:
 * every file still runs in exactly one shard.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const [logPath] = process.argv.slice(2);
if (logPath === undefined) {
  process.stderr.write('usage: node scripts/test-weights.mjs <output of npm test>\n');
  process.exit(2);
}
const log = readFileSync(logPath, 'utf8');
const seconds = {};
// A failed file's line comes twice (again in Jest's summary): count each file once.
const seen = new Set();
for (const line of log.split('\n')) {
  const match = /^(?:PASS|FAIL) (\S+)(?: \(([\d.]+) s\))?/.exec(line);
  if (match === null) continue;
  seen.add(match[1]);
  if (match[2] !== undefined) seconds[match[1]] = Number(match[2]);
}
const files = seen.size;
const shardSeconds = [...log.matchAll(/\[shard \d+\/\d+\] passed in ([\d.]+) s/g)].reduce((sum, m) => sum + Number(m[1]), 0);
const listed = Object.values(seconds).reduce((sum, s) => sum + s, 0);
const unlisted = files - Object.keys(seconds).length;
if (files === 0 || shardSeconds === 0) {
  process.stderr.write(`${logPath}: no whole passing npm test run found (files ${files}, shard seconds ${shardSeconds})\n`);
  process.exit(1);
}
const times = Object.values(seconds).sort((a, b) => a - b);
const median = times.length === 0 ? 1 : times[Math.floor(times.length / 2)];
const defaultSeconds = Math.max(0.5, Math.round((unlisted > 0 ? (shardSeconds - listed) / unlisted : median) * 100) / 100);
const sorted = Object.fromEntries(Object.entries(seconds).sort(([a], [b]) => (a < b ? -1 : 1)));
writeFileSync('test/shard-weights.json', `${JSON.stringify({ defaultSeconds, seconds: sorted }, null, 2)}\n`);
process.stdout.write(`test/shard-weights.json: ${Object.keys(seconds).length} files with their time, ${unlisted} at ${defaultSeconds} s\n`);
