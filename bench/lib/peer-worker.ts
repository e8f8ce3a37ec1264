/**
 * The worker module the thread peers (raw Piscina, tinypool) run: one default export taking
 * `{ op, arg }`, calling the same functions greenreactor's tasks wrap.
 *
 * @module
 */
import { checksum, fib, tiny } from './workload-tasks.js';

/** A peer job: which function and its argument. */
export type PeerJob = { op: 'tiny'; arg: number } | { op: 'fib'; arg: number } | { op: 'checksum'; arg: Uint8Array };

/**
 * Runs one job.
 * @param job - the operation and its argument.
 * @returns the function's result.
 */
export default function runPeerJob(job: PeerJob): number {
  switch (job.op) {
    case 'tiny':
      return tiny(job.arg);
    case 'fib':
      return fib(job.arg);
    case 'checksum':
      return checksum(job.arg);
  }
}
