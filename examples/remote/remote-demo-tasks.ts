/**
 * The remote demo's task: a CPU-bound SHA-256 chain, defined once and run on threads or on remote hosts.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { defineTask } from '../../src/task/task.js';
import { cancelled } from '../../src/worker/index.js';

/** Hashes `seed` `rounds` times (about 1 µs a round); stops early when cancelled. */
export const hashChain = defineTask(
  import.meta.url,
  'hashChain',
  (seed: string, rounds: number): string => {
    let digest = seed;
    for (let i = 0; i < rounds && !cancelled(); i++) digest = createHash('sha256').update(digest).digest('hex');
    return digest;
  },
  { kind: 'cpu', retries: 2 },
);
