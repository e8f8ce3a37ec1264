/**
 * The debug channel every `dispatch` publishes its decision on, off by default.
 *
 * Uses `node:diagnostics_channel`: publishing costs one boolean check while nobody subscribes, and
 * a subscriber (a logger, APM, a test) sees each decision synchronously, before the work starts.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * subscribe('greenreactor:policy:decision', ({ task, decision }) => console.debug(task, decision.route, decision.reason));
 * ```
 * @module
 */
import { channel } from 'node:diagnostics_channel';
import type { Decision } from './decision.js';

/** The channel's name: `greenreactor:policy:decision`. */
export const decisionChannelName = 'greenreactor:policy:decision';

/** What each dispatch publishes. */
export interface DecisionMessage {
  /** The task's name. */
  readonly task: string;
  /** Where it runs, and why. */
  readonly decision: Decision;
}

/** The channel object (`diagnostics_channel.channel(decisionChannelName)`). */
export const decisionChannel = channel(decisionChannelName);

/**
 * Publishes a decision if anyone listens.
 * @param task - the task's name.
 * @param decision - the decision.
 */
export function publishDecision(task: string, decision: Decision): void {
  if (decisionChannel.hasSubscribers) decisionChannel.publish({ task, decision } satisfies DecisionMessage);
}
