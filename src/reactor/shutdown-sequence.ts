/**
 * `ShutdownSequence`: the order in which `reactor.stop()` takes things down.
 *
 * @module
 */
import type { ReactorComponent } from './reactor-component.js';
import type { SystemEventTriggers } from './system-event-triggers.js';

/**
 * Runs a reactor's shutdown: the `before` triggers, waiting for what they return; then every component's
 * `shutdown(graceMs)`, together; then the `during` and `after` triggers.
 *
 * Kept apart from `Reactor` so the sequence is one readable function and the paths plug their pools in with
 * `addComponent` (in the Reactor constructor). Nothing in the sequence rejects: a failing trigger or
 * component is reported and the shutdown goes on, because a half-finished shutdown would leave handles open.
 */
export class ShutdownSequence {
  readonly #triggers: SystemEventTriggers;
  readonly #components: ReactorComponent[] = [];
  readonly #report: (error: unknown, where: string) => void;

  /**
   * @param triggers - the reactor's shutdown triggers.
   * @param report - where errors of components go (triggers report through their own reporter).
   */
  constructor(triggers: SystemEventTriggers, report: (error: unknown, where: string) => void) {
    this.#triggers = triggers;
    this.#report = report;
  }

  /**
   * Close `component` on shutdown, after the `before` triggers and before the `during` triggers.
   * @param component - the pool, hub or other resource holder.
   */
  addComponent(component: ReactorComponent): void {
    this.#components.push(component);
  }

  /**
   * Run the sequence. The `before` triggers run synchronously, before this returns.
   *
   * @param graceMs - handed to every component's `shutdown`.
   * @param stopping - the promise `stop()` returns for this run, already made: a `before` trigger returning it
   *   (`() => reactor.stop()`) is not waited for, since it waits for this run (waiting on it, stop() never ended).
   * @returns a promise that resolves once the `after` triggers ran; it never rejects.
   */
  async run(graceMs: number, stopping?: PromiseLike<void>): Promise<void> {
    await Promise.all(this.#triggers.runPhase('before', stopping));
    await Promise.all(this.#components.map((component) => this.#close(component, graceMs)));
    this.#triggers.runPhase('during');
    this.#triggers.runPhase('after');
  }

  async #close(component: ReactorComponent, graceMs: number): Promise<void> {
    try {
      await component.shutdown(graceMs);
    } catch (error: unknown) {
      this.#report(error, `shutdown of the ${component.name}`);
    }
  }
}
