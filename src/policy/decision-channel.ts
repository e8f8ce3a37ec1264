/**
 * The debug channel every `dispatch` publishes its decision on, off by default.
 *
 * Uses `node:diagnostics_channel`: publishing costs one boolean check while nobody subscribes, and
 * a subscriber (a logger, APM, a test) sees each decision synchronously, before the work starts.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * subscribe('greenreactor:policy:decision', ({ task, id, decision }) => console.debug(task, id, decision.route, decision.reason));
 * ```
 * @module
 */
import { channel } from 'node:diagnostics_channel';
import type { TaskIdentity } from '../task/task.js';
import type { Decision } from './decision.js';

/** The channel's name: `greenreactor:policy:decision`. */
export const decisionChannelName = 'greenreactor:policy:decision';

/** What each dispatch publishes. */
export interface DecisionMessage {
  /** The task's name. */
  readonly task: string;
  /**
   * Which task: a Task's `id` (`moduleUrl#exportName`), a plain function's name. Two modules may export tasks of one
   * name; `id` tells their decisions apart.
   */
  readonly id: string;
  /** Where it runs, and why. */
  readonly decision: Decision;
}

/** The channel object (`diagnostics_channel.channel(decisionChannelName)`). */
export const decisionChannel = channel(decisionChannelName);

/**
 * Publishes a decision if anyone listens.
 * @param task - the task's identity (its name and id).
 * @param decision - the decision.
 */
export function publishDecision(task: TaskIdentity, decision: Decision): void {
  if (decisionChannel.hasSubscribers) decisionChannel.publish({ task: task.name, id: task.id, decision } satisfies DecisionMessage);
}
