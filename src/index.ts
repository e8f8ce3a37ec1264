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
  QueueOverflow,
  QueueUnderflow,
  ReactorStoppedError,
  WorkerCrashedError,
  TaskNotFoundError,
  QueueFullError,
  DataCloneError,
  RemoteUnavailableError,
  GreenletExit,
  QueueFull,
  QueueEmpty,
  PolicyConfigError,
  ContextCarrierError,
  ConcurrentWaitError,
} from './errors.js';
export { FirstError } from './deferred/first-error.js';
export { FailureGroup } from './deferred/failure-group.js';
export type { GreenReactorErrorOptions, PolicyConfigIssue } from './errors.js';

// --- tasks ---
export { defineTask, taskFrom, isTask } from './task/task.js';
export type { Task, TaskOptions, TaskFunction, TaskArgs, TaskResult, Kind, Route, TaskIdentity } from './task/task.js';

// --- context --- (src/context/: carriers across threads, deadlines)
export { defineContextCarrier } from './context/context-carrier.js';
export type { ContextCarrier, ContextCarrierSpec, CarriedContext } from './context/context-carrier.js';
export type { CallDeadline } from './context/call-deadline.js';

// --- streams --- (src/stream/: reactor.stream; the task side, emit/progress, is in greenreactor/worker)
export { TaskStream } from './stream/task-stream.js';
export type { StreamTaskStats } from './stream/stream-stats.js';
export type { StreamBuffer, StreamBufferState, StreamProducerHooks } from './stream/stream-buffer.js';
export type { StreamRequest } from './threads/wire.js';

// --- time ---
export { Clock } from './time/clock.js';
export { RealTimeScheduler, realTimeScheduler } from './time/real-time-scheduler.js';
export type { RealTimeSchedulerOptions } from './time/real-time-scheduler.js';
export type { Scheduler, DelayedCall } from './time/scheduler.js';

// --- deferred --- (src/deferred/)
export { Deferred } from './deferred/deferred.js';
export { Failure } from './deferred/failure.js';
export { setUnhandledErrorHandler, defaultUnhandledErrorHandler } from './deferred/unhandled-error-handler.js';
export { succeed } from './deferred/succeed.js';
export { fail } from './deferred/fail.js';
export { maybeDeferred } from './deferred/maybe-deferred.js';
export { ensureDeferred } from './deferred/ensure-deferred.js';
export { inlineCallbacks } from './deferred/inline-callbacks.js';
export { deferLater } from './deferred/defer-later.js';
export { DeferredList } from './deferred/deferred-list.js';
export { gatherResults } from './deferred/gather-results.js';
export { race } from './deferred/race.js';
export { DeferredLock } from './deferred/deferred-lock.js';
export { DeferredSemaphore } from './deferred/deferred-semaphore.js';
export { DeferredQueue } from './deferred/deferred-queue.js';
export type { AddCallbacksOptions, ChainResult } from './deferred/deferred.js';
export type { ErrorType } from './deferred/failure.js';
export type { OnTimeoutCancel } from './deferred/add-timeout.js';
export type { UnhandledErrorHandler } from './deferred/unhandled-error-handler.js';
export type { DeferredListEntry, DeferredListOptions } from './deferred/deferred-list.js';

// --- reactor --- (src/reactor/)
export { Reactor } from './reactor/reactor.js';
export { reactor } from './reactor/default-reactor.js';
export { defaultStopOptions } from './reactor/stop-options.js';
export type { ReactorOptions } from './reactor/reactor-options.js';
export type { ReactorState } from './reactor/reactor-state.js';
export type { ReactorStats, EventLoopDelayStats } from './reactor/reactor-stats.js';
export type { StopOptions } from './reactor/stop-options.js';
export type { RemoteBackend, RemoteCallContext, RemoteStats, RemotePercentiles } from './reactor/remote-backend.js';
export type { TriggerId, TriggerPhase, SystemEvent } from './reactor/system-event-triggers.js';

// --- threads --- (src/threads/)
export { ThreadPool } from './threads/thread-pool.js';
export { defaultThreadPoolOptions, defaultCoalesceOptions } from './threads/thread-pool-options.js';
export { ExposedFunctions } from './threads/exposed-functions.js';
export type { ThreadPoolState, ThreadPoolWiring, ThreadCall } from './threads/thread-pool.js';
export type { ThreadPoolOptions, ResolvedThreadPoolOptions, CoalesceOptions, ResolvedCoalesceOptions, RecycleOptions, ResolvedRecycleOptions } from './threads/thread-pool-options.js';
export type { ThreadPoolStats, ThreadTaskStats, Percentiles } from './threads/thread-pool-stats.js';
export type { ExposedFunction } from './threads/exposed-functions.js';

// --- green --- (src/green/)
export { Hub } from './green/hub.js';
export { defaultHubOptions } from './green/hub-options.js';
export { Greenlet } from './green/greenlet.js';
export { HubWait } from './green/hub-wait.js';
export { GreenPool } from './green/green-pool.js';
export { Group } from './green/group.js';
export { Event } from './green/event.js';
export { AsyncResult } from './green/async-result.js';
export { Queue } from './green/queue.js';
export { Semaphore } from './green/semaphore.js';
export { BoundedSemaphore } from './green/bounded-semaphore.js';
export { Lock } from './green/lock.js';
export { withTimeout } from './green/with-timeout.js';
export { joinAll } from './green/join-all.js';
export { killAll } from './green/kill-all.js';
export { getDefaultHub, setDefaultHubProvider } from './green/default-hub.js';
export type { HubOptions, ResolvedHubOptions } from './green/hub-options.js';
export type { HubStats, BlockedEvent, BlockedCallbacksEvent, GreenletFunction, GreenletResult } from './green/hub.js';
export type { GreenletState, GreenletLink } from './green/greenlet.js';
export type { TaskStepStats } from './green/step-stats.js';
export type { JoinAllOptions } from './green/join-all.js';
export type { GreenCall } from './green/call-multiple.js';

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
  PolicyPools,
  PolicyContextOptions,
} from './policy/policy-schema.js';
export type { Decision, DecidedRoute, DispatchLoad, TaskDescriptor, DescriptorLoad } from './policy/decision.js';
export type { AdaptiveOptions, AutoPhase, AutoTaskStats, CrashBudget, CrashVerdict } from './policy/adaptive-router.js';
export type { DecisionMessage } from './policy/decision-channel.js';
export type { AutoTiming } from './policy/auto-timing.js';
export type { DispatchPlan } from './policy/dispatch-plan.js';
export type { PolicyWatcher } from './policy/policy-file-watcher.js';
export type { PolicyDispatchStats, RouteCounts } from './policy/policy-dispatcher.js';
export type { BulkheadStats } from './policy/bulkheads.js';
