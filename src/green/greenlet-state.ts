/**
 * `GreenletState`: the one lifecycle vocabulary of a greenlet, and the transitions the hub and the greenlet allow.
 *
 * States (a greenlet is in exactly one):
 * - `'pending'`: made but not scheduled — a `spawnLater` greenlet before its timer fires, or a `GreenPool` greenlet
 *   waiting for a free slot. `started` is false.
 * - `'queued'`: on the hub's run queue, waiting for its turn (just spawned, switched with a bare `yield` or
 *   `cooperate()`, or its wait settled, or it was killed while waiting and the kill is to be thrown in).
 * - `'running'`: it holds control. For a generator or plain greenlet that is the hub's synchronous step. For an async
 *   greenlet it is everything from the hub handing it a resumption to its next awaited hub wait — however many
 *   foreign awaits (a timer, `fs.promises`, a socket) lie between, so several async greenlets can be `'running'`
 *   at once. (Earlier versions called the awaiting-something-foreign part `'foreign'`; the hub now follows an async
 *   greenlet through those awaits by its async context, so it is simply running.)
 * - `'parked'`: waiting on something the hub resumes it from — a Deferred, Promise or Greenlet it yielded, or a hub
 *   wait (`sleep`, `Event.wait`, `Queue.get`, …) an async greenlet awaits.
 * - `'dead'`: finished, failed or killed; `ready()` is true. Terminal.
 *
 * Transitions ({@link greenletTransitions}; `test/green/greenlet-state.test.ts` checks every observed one):
 *
 * | from        | to          | when                                                                        |
 * |-------------|-------------|-----------------------------------------------------------------------------|
 * | `pending`   | `queued`    | the `spawnLater` timer fires; a pool admits it                              |
 * | `pending`   | `dead`      | killed before it started; refused (`maxGreenlets`, reactor stopped)         |
 * | `queued`    | `running`   | the hub takes its turn                                                      |
 * | `queued`    | `dead`      | killed before its first step (it never runs)                                |
 * | `running`   | `queued`    | a switch (`yield`, `cooperate()`); an async greenlet's next hub wait when a kill is pending |
 * | `running`   | `parked`    | it waits on something not yet settled                                       |
 * | `running`   | `dead`      | it returned or threw                                                        |
 * | `parked`    | `queued`    | the wait settled; it was killed (the kill is thrown in at its turn)         |
 * | `parked`    | `dead`      | an async greenlet's own promise settled while the hub saw it parked         |
 *
 * @module
 */

/** Where a greenlet is in its lifecycle; see the module comment for what each state means. */
export type GreenletState = 'pending' | 'queued' | 'running' | 'parked' | 'dead';

/** Every state a greenlet may move to from each state (a greenlet never moves to its own state). */
export const greenletTransitions: Readonly<Record<GreenletState, readonly GreenletState[]>> = Object.freeze({
  pending: ['queued', 'dead'],
  queued: ['running', 'dead'],
  running: ['queued', 'parked', 'dead'],
  parked: ['queued', 'dead'],
  dead: [],
});

/**
 * Whether the lifecycle allows a greenlet to move from `from` to `to` in one transition.
 *
 * @param from - the state before.
 * @param to - the state after.
 * @returns true when the table lists the transition.
 */
export function isGreenletTransition(from: GreenletState, to: GreenletState): boolean {
  return greenletTransitions[from].includes(to);
}
