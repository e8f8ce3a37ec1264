/**
 * Jest runs the TypeScript sources as ES modules through ts-jest, type-checked under the
 * project's strict tsconfig. Tests that start workers load the built JavaScript in dist/
 * (Piscina loads worker files as JavaScript), so `npm test` builds first.
 */
export default {
  // Node's environment, plus a check that fails a test file which leaves a handle open (see the file).
  testEnvironment: '<rootDir>/test/setup/open-handles-environment.cjs',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 20000,
  // The docs examples run as child processes, `it.concurrent`: three at a time keeps two cores busy.
  maxConcurrency: 3,
  // `scripts/test-shards.mjs` runs four shards; this deals the files out by their measured time (see the file).
  testSequencer: '<rootDir>/test/shard-sequencer.cjs',
  // Every file's time on its PASS/FAIL line (Jest prints it only past this many seconds): `scripts/test-weights.mjs`
  // reads them from a run's log to remake the shards' weights.
  slowTestThreshold: 0,
};
