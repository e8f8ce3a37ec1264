/**
 * The returned mark: a host records in a job's own hash that its task returned (or threw), before the job's result
 * is saved; a caller whose job failed as stalled reads it before it re-runs the call under `retries`.
 *
 * Why: SPEC §4 and §11 allow `retries` to re-run a task only when its host died mid-task, never after the task
 * returned or threw. BullMQ cannot tell those apart: a host that dies (or whose save the server refuses) between the
 * task's end and the save of its result leaves a job that stalls, exactly as one whose host died mid-task. The mark
 * tells them apart. It lives in the job's hash (one field, `HSET`), so it costs no key of its own: it goes when the job
 * is removed, and a server that lost the job lost its mark with it (a lost job counts as a crash).
 *
 * What it cannot know: a host that dies after the task ended in its thread but before the mark reaches Redis (the
 * host's one round trip for the mark) looks like a host that died mid-task, and its call is re-run. Nothing the host
 * can write closes that gap: any record of the end is written after the end. Nor can a host whose write of the mark
 * fails (refused, or its connection ended): it reports that (`ReturnedMarkNotWrittenError`, once per outage: see
 * {@link ReturnedMarks}) rather than staying silent.
 *
 * Both sides import this file (the caller's backend reads, the host writes), neither importing the other.
 *
 * @module
 */
import type { Redis } from 'ioredis';
import { GreenReactorError } from '../errors.js';

/** The field of a job's hash that says its task returned or threw on its host. */
export const returnedField = 'greenreactor:returned';

/** Sets the mark only on a job hash that exists: a job the server lost (or someone removed) is not re-created. */
const markScript = "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HSET', KEYS[1], ARGV[1], '1') end return 0";

/**
 * A host could not write a job's returned mark (the server refused it — an ACL's `NOPERM` — or its connection ended):
 * reported through the host's `onError`, once per outage (see `ReturnedMarks` in this file), naming the first job.
 * The host still tries to save the result (a caller that gets it re-runs nothing); if that fails too, a caller with
 * `retries` re-runs a task that returned — what this report says.
 */
export class ReturnedMarkNotWrittenError extends GreenReactorError {
  /** The job's hash. */
  readonly jobKey: string;

  /**
   * @param jobKey - the job's hash.
   * @param cause - the write's error.
   */
  constructor(jobKey: string, cause: unknown) {
    super(
      `could not record in ${jobKey} that its task returned (${cause instanceof Error ? cause.message : String(cause)}): ` +
        'if its result cannot be saved either, a caller with retries re-runs a task that returned. ' +
        'Reported once per outage: the jobs whose marks fail after this one, until a mark is written again, are not reported',
      'ERR_RETURNED_MARK_NOT_WRITTEN',
      { cause },
    );
    this.jobKey = jobKey;
  }
}

/**
 * A host's writer of returned marks: records that a job's task returned or threw (before the result is saved), and
 * reports a mark it cannot write once per outage.
 *
 * Why once per outage: the host's other errors are (ioredis reports every failed reconnect); a mark fails for the
 * same cause for every job that ends while it lasts — an ACL refusing the writes, or the connection ended with marks
 * queued — and one report per job buried the host's `onError` (a host of 100 slots closing while Redis is down
 * reported 100). An outage of the marks begins at a failed write and ends at the next mark written.
 */
export class ReturnedMarks {
  readonly #client: Redis;
  readonly #report: (error: ReturnedMarkNotWrittenError) => void;
  /** A failed write was reported and no mark was written since. */
  #failing = false;

  /**
   * @param client - the host's client.
   * @param report - told {@link ReturnedMarkNotWrittenError} for the first mark of an outage that cannot be written.
   */
  constructor(client: Redis, report: (error: ReturnedMarkNotWrittenError) => void) {
    this.#client = client;
    this.#report = report;
  }

  /**
   * Records that the task of the job whose hash is `jobKey` returned or threw.
   * @param jobKey - the job's hash (`<prefix>:<queue>:<jobId>`).
   * @returns once the server recorded it, or the failure was handled (the call stays re-runnable); never rejects.
   */
  async mark(jobKey: string): Promise<void> {
    try {
      await this.#client.eval(markScript, 1, jobKey, returnedField);
      this.#failing = false;
    } catch (error) {
      if (this.#failing) return;
      this.#failing = true;
      this.#report(new ReturnedMarkNotWrittenError(jobKey, error));
    }
  }
}

/**
 * Whether the host of the job whose hash is `jobKey` recorded that its task returned or threw.
 * @param client - the caller's client.
 * @param jobKey - the job's hash.
 * @returns true when the mark is there; false when it is not, or cannot be read (the client was ended).
 */
export async function taskReturned(client: Redis, jobKey: string): Promise<boolean> {
  return client.hget(jobKey, returnedField).then(
    (value) => value !== null,
    () => false,
  );
}
