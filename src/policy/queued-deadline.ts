/**
 * `armQueuedDeadline`: the time limit of a call held back before it reaches its route (a rule's bulkhead, the crash
 * budget).
 *
 * Why: such a call's time counts from dispatch (SPEC §4 `timeoutMs`, queue wait included), and a call dispatched
 * inside `withDeadline` must end with `TimeoutError` when the deadline passes (SPEC §10), also while it waits for a
 * place: nothing on its route has seen it yet, so nothing else would time it out. Both gates arm it on the call's
 * own Deferred as it queues; cancelling that Deferred while it waits takes the call out of the gate.
 *
 * @module
 */
import { callDeadline, deadlineMessage } from '../context/call-deadline.js';
import type { Deferred } from '../deferred/deferred.js';
import { Failure } from '../deferred/failure.js';
import { CancelledError, TimeoutError } from '../errors.js';
import type { Scheduler } from '../time/scheduler.js';

/**
 * Arms the earlier of the task's `timeoutMs` and the caller's deadline scope on a queued call's Deferred. Call it
 * synchronously where the call queues (in the caller's context, where its scope is readable).
 *
 * @param outer - the queued call's Deferred.
 * @param name - the task's name, for the message of a passed deadline.
 * @param taskTimeoutMs - the task's own `timeoutMs`, if any.
 * @param clock - the reactor's clock.
 */
export function armQueuedDeadline(outer: Deferred<unknown>, name: string, taskTimeoutMs: number | undefined, clock: Scheduler): void {
  const limit = callDeadline(taskTimeoutMs, clock);
  if (limit === undefined) return;
  if (!limit.fromScope) {
    outer.addTimeout(limit.timeoutMs, clock);
    return;
  }
  outer.addTimeout(Math.max(0, limit.timeoutMs), clock, (resultOrFailure) => {
    if (resultOrFailure instanceof Failure && resultOrFailure.check(CancelledError) !== null) {
      throw new TimeoutError(deadlineMessage(name, limit), { cause: resultOrFailure.value });
    }
    return resultOrFailure;
  });
}
