/**
 * `taskGreenletFunction`: what a greenlet runs for a Task.
 *
 * @module
 */
import type { Task } from '../task/task.js';

/**
 * Yielded by a greenlet's generator to hand the rest of the greenlet to another function: the greenlet drops the
 * generator and runs `fn(...args)` as if it had been spawned with it (generator, async or plain).
 *
 * Why: a `taskFrom` task is loaded lazily (a wait the greenlet parks on and can be killed in), and only then is it
 * known whether its function is a generator, async or plain one; continuing as that function gives it the same
 * switch points, kill and async tracking as a greenlet spawned with it directly.
 */
export class ContinueAs {
  readonly #brand = true; // for is(): a brand check runs no user code, where instanceof reads a Proxy's prototype
  /**
   * @param fn - the function the greenlet continues with.
   * @param args - its arguments.
   */
  constructor(
    readonly fn: (...args: any[]) => unknown,
    readonly args: unknown[],
  ) {}

  /** @returns true for a real ContinueAs, without running user code (a greenlet asks it of whatever its generator yielded). */
  static is(value: unknown): value is ContinueAs {
    return typeof value === 'object' && value !== null && #brand in value;
  }
}

/**
 * The function a greenlet runs for `task`: the task's own function when `defineTask` gave it, else a generator
 * that loads it (`task.load()`, the lazy import of `taskFrom`) and then continues as it ({@link ContinueAs}).
 * A missing module or export fails the greenlet with `TaskNotFoundError`.
 *
 * @param task - the Task.
 * @returns the function to spawn.
 */
export function taskGreenletFunction(task: Task): (...args: any[]) => unknown {
  if (task.fn !== undefined) return task.fn as (...args: any[]) => unknown;
  return function* runLoaded(...args: unknown[]): Generator<unknown, unknown, any> {
    const loaded = (yield task.load()) as (...a: unknown[]) => unknown;
    return yield new ContinueAs(loaded, args);
  };
}
