/**
 * Jest's test sequencer for `scripts/test-shards.mjs`: deals the test files out to the shards by how long each takes
 * (`test/shard-weights.json`, written by `scripts/test-weights.mjs`), so that the shards end at about the same time.
 *
 * Why: Jest's own `--shard` splits by a hash of the path, which left one shard of four at 248 s against 121–172 s for
 * the others in a loaded CI run; with two shards at a time the longest lane sets the suite's wall time. Here the files
 * go heaviest first, each to the shard with the least weight so far (ties by path, so every shard process computes the
 * same split). A file the weights do not list counts as `defaultSeconds`. Every file lands in exactly one shard
 * whatever the weights say; stale weights only make the shards less even. Within a shard, Jest's own order is kept.
 */
const { readFileSync } = require('node:fs');
const { join, relative, sep } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

/** Reads the weights file; a missing or unreadable file gives every file the same weight. */
function readWeights(rootDir) {
  try {
    const parsed = JSON.parse(readFileSync(join(rootDir, 'test', 'shard-weights.json'), 'utf8'));
    return { defaultSeconds: Number(parsed.defaultSeconds) || 1, seconds: parsed.seconds ?? {} };
  } catch {
    return { defaultSeconds: 1, seconds: {} };
  }
}

class ShardByWeightSequencer extends Sequencer {
  shard(tests, { shardIndex, shardCount }) {
    if (tests.length === 0) return [];
    const rootDir = tests[0].context.config.rootDir;
    const { defaultSeconds, seconds } = readWeights(rootDir);
    const weighed = tests.map((test) => {
      const path = relative(rootDir, test.path).split(sep).join('/');
      const weight = Number(seconds[path]);
      return { test, path, weight: Number.isFinite(weight) && weight > 0 ? weight : defaultSeconds };
    });
    weighed.sort((a, b) => b.weight - a.weight || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const loads = new Array(shardCount).fill(0);
    const mine = [];
    for (const entry of weighed) {
      let lightest = 0;
      for (let i = 1; i < shardCount; i += 1) if (loads[i] < loads[lightest]) lightest = i;
      loads[lightest] += entry.weight;
      if (lightest === shardIndex - 1) mine.push(entry.test);
    }
    return mine;
  }
}

module.exports = ShardByWeightSequencer;
