/**
 * `taskGreenletFunction`: what a greenlet runs for a Task.
 *
 * @module
 */
import type { Task } from '../task/task.js';

/**
 * The function a greenlet runs for `task`: the task's own function when `defineTask` gave it, else a generator
 * that loads it (`task.load()`, the lazy import of `taskFrom`) and then runs it as the greenlet's body.
 *
 * Why a generator: loading is a wait like any other (the greenlet parks on it, and can be killed meanwhile), and
 * a loaded generator function keeps its `yield`s as switch points through `yield*`; a loaded plain or async
 * function's result is waited for. A missing module or export fails the greenlet with `TaskNotFoundError`.
 *
 * @param task - the Task.
 * @returns the function to spawn.
 */
export function taskGreenletFunction(task: Task): (...args: any[]) => unknown {
  if (task.fn !== undefined) return task.fn as (...args: any[]) => unknown;
  return function* runLoaded(...args: unknown[]): Generator<unknown, unknown, any> {
    const loaded = (yield task.load()) as (...a: unknown[]) => unknown;
    const r = loaded(...args);
    if (typeof r === 'object' && r !== null && typeof (r as Generator).next === 'function' && typeof (r as Generator).throw === 'function') {
      return yield* r as Generator<unknown, unknown, unknown>;
    }
    return yield r;
  };
}
