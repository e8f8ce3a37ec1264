/**
 * `ReactorOptions`: how a `Reactor` is built.
 *
 * @module
 */
import { consoleErrorSink } from '../error-sink.js';
import type { Policy } from '../policy/policy.js';
import type { PolicyConfig } from '../policy/policy-schema.js';
import type { RemoteBackend } from './remote-backend.js';
import { realTimeScheduler } from '../time/real-time-scheduler.js';
import type { Scheduler } from '../time/scheduler.js';

/** Options of `new Reactor(options)`. */
export interface ReactorOptions {
  /**
   * The routing policy: a config object, the path of a JSON file holding one (SPEC §7), or a `Policy` (used as it
   * is: one policy, and what its `auto` learned, can serve several reactors).
   * @defaultValue the built-in defaults (`auto` routing)
   */
  policy?: PolicyConfig | string | Policy;
  /**
   * The source of time for `now`/`callLater` (and, through the reactor, for timeouts). Pass a `Clock` in
   * tests to drive time by hand.
   * @defaultValue the process-wide `realTimeScheduler`
   * @example
   * ```ts
   * const clock = new Clock();
   * const reactor = new Reactor({ clock });
   * ```
   */
  clock?: Scheduler;
  /**
   * The wall-time source (ms, monotonic) that measures how long work held the event loop: the hub's slices and
   * steps (a `'blocked'` step), and the inline runs `auto` times. Tests pass one they advance by hand, so a task
   * that "blocks" for 30 ms is exact and burns no CPU (tinybench's `now` option; the hub takes the same).
   * @defaultValue `performance.now()`
   * @example
   * ```ts
   * let wall = 0;
   * const reactor = new Reactor({ now: () => wall });
   * const stall = defineTask(import.meta.url, 'stall', (ms: number) => (wall += ms));
   * ```
   */
  now?: () => number;
  /**
   * Where errors nobody else can receive go: a shutdown trigger or `callWhenRunning` function that threw,
   * a `before` trigger's rejected Deferred/Promise, a component that failed to shut down.
   *
   * It is called where nothing can take a throw (worker message handlers, timers, stream deliveries), so what it
   * throws, or the rejection of the Promise it returns, goes to `console.error` instead of ending the process.
   * @defaultValue `console.error` with a line saying where the error came from
   */
  onError?: (error: unknown, where: string) => unknown;
  /**
   * The distributed engine behind `deferToRemote` and the `remote` route (SPEC §11), e.g.
   * `bullmqBackend({ connection, queue })` from `greenreactor/remote-bullmq`. The reactor closes it on `stop()`.
   * @defaultValue none: a call routed `remote` errbacks with `TypeError`
   */
  remote?: RemoteBackend;
}

/** The defaults of {@link ReactorOptions} that have a value (`policy` is resolved by the policy layer). */
export const defaultReactorOptions: Readonly<Required<Pick<ReactorOptions, 'clock' | 'onError'>>> = Object.freeze({
  clock: realTimeScheduler,
  onError: consoleErrorSink('greenreactor'),
});
