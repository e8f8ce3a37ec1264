/**
 * `readJobStates`: which of many BullMQ jobs have finished, or vanished, asked of Redis in one script call per
 * chunk — what the reconcile poll needs before it reads any job.
 *
 * Why not `queue.getJob(id)` for every pending job: that reads each job's whole hash and parses it into a `Job`
 * (its data, options, result), every `reconcileMs`, for jobs that are mostly still running. With 1,000 jobs
 * pending, each pass was 1,000 `HGETALL` replies parsed on the caller's event loop, competing with the work it
 * waits for. Here one `EVAL` per {@link jobStatesChunk} ids answers with one small integer per job, and the poll
 * reads only the jobs that finished.
 *
 * How "finished" is read: BullMQ sets the job hash's `finishedOn` field when it moves a job to completed or failed
 * (in the same script that stores `returnvalue` / `failedReason`), so a job with the field has its outcome stored.
 *
 * @module
 */
import type { Redis } from 'ioredis';

/** A pending job's state as the reconcile poll sees it. */
export type JobState = 'vanished' | 'unfinished' | 'finished';

/** How many jobs one script call asks about (bounds how long one call holds Redis). */
export const jobStatesChunk = 500;

/** Per key: 0 when the job hash is gone, 2 when it has `finishedOn`, 1 otherwise. */
const jobStatesScript = `
local states = {}
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 0 then
    states[i] = 0
  elseif redis.call('HEXISTS', key, 'finishedOn') == 1 then
    states[i] = 2
  else
    states[i] = 1
  end
end
return states
`;

const byCode: readonly JobState[] = ['vanished', 'unfinished', 'finished'];

/**
 * Reads the state of each job.
 *
 * @param client - a client of the queue's Redis.
 * @param jobKeys - the jobs' hash keys (`queue.toKey(id)`).
 * @returns one state per key, in order.
 * @throws (rejects) what the client rejects with (Redis out of reach, a script error).
 */
export async function readJobStates(client: Redis, jobKeys: readonly string[]): Promise<JobState[]> {
  const states: JobState[] = [];
  for (let start = 0; start < jobKeys.length; start += jobStatesChunk) {
    const keys = jobKeys.slice(start, start + jobStatesChunk);
    const codes = (await client.eval(jobStatesScript, keys.length, ...keys)) as number[];
    for (const code of codes) states.push(byCode[code] ?? 'unfinished');
  }
  return states;
}
