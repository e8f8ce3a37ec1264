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
export { Policy, defaultRoute } from './policy/policy.js';
export { defaultAdaptiveOptions } from './policy/adaptive-router.js';
export { estimateArgBytes } from './policy/arg-bytes.js';
export { decisionChannelName } from './policy/decision-channel.js';
export type { PolicyChange, PolicyLearned, PolicyStats, PolicyEventMap } from './policy/policy.js';
export type {
  PolicyConfig,
  PolicyRule,
  PolicyMatch,
  PolicyRange,
  PolicyThreadsOptions,
  PolicyGreenOptions,
  PolicyAdaptiveOptions,
} from './policy/policy-schema.js';
export type { Decision, DecidedRoute, DispatchLoad, TaskDescriptor, DescriptorLoad } from './policy/decision.js';
export type { AdaptiveOptions, AutoPhase, AutoTaskStats } from './policy/adaptive-router.js';
export type { DecisionMessage } from './policy/decision-channel.js';
export type { PolicyWatcher } from './policy/policy-file-watcher.js';
export type { PolicyDispatchStats } from './policy/policy-dispatcher.js';
