/**
 * `ExposedFunctions`: the main-thread functions workers may call by name.
 *
 * @module
 */
import { describeValue } from '../describe-value.js';

/** A function a worker can call with `blockingCallFromThread` / `callFromThread`. */
export type ExposedFunction = (...args: any[]) => unknown;

/**
 * A registry of main-thread functions callable from worker threads, by name.
 *
 * Why names: a worker cannot hold a main-thread function, only a string. One registry is shared by the reactor and
 * the pools it makes, so `reactor.expose` reaches every worker.
 *
 * @example
 * ```ts
 * const exposed = new ExposedFunctions();
 * exposed.expose('db.get', (id: number) => db.get(id));
 * const pool = new ThreadPool({ maxThreads: 2 }, exposed);
 * ```
 */
export class ExposedFunctions {
  readonly #functions = new Map<string, ExposedFunction>();

  /**
   * Makes `fn` callable from workers as `name`.
   * @param name - a non-empty name, unique in this registry.
   * @param fn - the function; it may return a value, a Promise or a Deferred.
   * @throws TypeError when `name` is already exposed, or an argument is malformed.
   */
  expose(name: string, fn: ExposedFunction): void {
    if (typeof name !== 'string' || name === '') {
      throw new TypeError(`Expected \`name\` to be a non-empty string, got ${describeValue(name)}`);
    }
    if (typeof fn !== 'function') {
      throw new TypeError(`Expected \`fn\` to be a function, got ${describeValue(fn)}`);
    }
    if (this.#functions.has(name)) {
      throw new TypeError(`A function is already exposed as \`${name}\`; pick another name`);
    }
    this.#functions.set(name, fn);
  }

  /**
   * The function exposed as `name`.
   * @param name - the name.
   * @returns the function, or `undefined`.
   */
  get(name: string): ExposedFunction | undefined {
    return this.#functions.get(name);
  }

  /** The names exposed so far, in order. */
  names(): string[] {
    return [...this.#functions.keys()];
  }
}
