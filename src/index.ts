/**
 * greenreactor: run blocking work off the event loop, in worker threads or as time-sliced greenlets,
 * with Twisted's Deferred as the one result type. Explicit named re-exports only.
 *
 * @module
 */

// --- errors ---
export {
  GreenReactorError,
  AlreadyCalledError,
  AlreadyCancelledError,
  CancelledError,
  TimeoutError,
  FirstError,
  FailureGroup,
  QueueOverflow,
  QueueUnderflow,
  ReactorStoppedError,
  WorkerCrashedError,
  TaskNotFoundError,
  QueueFullError,
  DataCloneError,
  GreenletExit,
  QueueFull,
  QueueEmpty,
  PolicyConfigError,
} from './errors.js';
export type { GreenReactorErrorOptions, PolicyConfigIssue } from './errors.js';

// --- tasks ---
export { defineTask, taskFrom, isTask } from './task/task.js';
export type { Task, TaskOptions, TaskFunction, TaskArgs, TaskResult, Kind, Route } from './task/task.js';

// --- time ---
export { Clock } from './time/clock.js';
export { RealTimeScheduler, realTimeScheduler } from './time/real-time-scheduler.js';
export type { RealTimeSchedulerOptions } from './time/real-time-scheduler.js';
export type { Scheduler, DelayedCall } from './time/scheduler.js';

// --- deferred --- (src/deferred/)

// --- reactor --- (src/reactor/)

// --- threads --- (src/threads/)

// --- green --- (src/green/)

// --- policy --- (src/policy/)
