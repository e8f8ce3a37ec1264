/**
 * `LastTask`: what a worker found for the task of the previous call, for the next call of the same task.
 *
 * Why: calls of one task usually come in a row, and a worker looks each one up by its module URL and export name.
 * Building the lookup's key (`url#name`) per call makes a string that the map must flatten and hash every time (each
 * request's strings are fresh copies, so no hash is ever cached on them); comparing the two strings with the previous
 * call's is cheaper. The task runner keeps the task's function this way, the batch runner its flush key.
 *
 * @module
 */

/** The value kept for the last task (module URL and export name) it was given. */
export class LastTask<T> {
  #url = '';
  #name = '';
  #value: T | undefined;

  /**
   * The value kept for this task, if it is the last one set.
   * @param moduleUrl - the task's module URL.
   * @param exportName - its export name.
   * @returns the value, or `undefined` for any other task.
   */
  get(moduleUrl: string, exportName: string): T | undefined {
    return moduleUrl === this.#url && exportName === this.#name ? this.#value : undefined;
  }

  /**
   * Keeps `value` for this task, in place of the previous one's.
   * @param moduleUrl - the task's module URL.
   * @param exportName - its export name.
   * @param value - what was found for it.
   * @returns `value`.
   */
  set(moduleUrl: string, exportName: string, value: T): T {
    this.#url = moduleUrl;
    this.#name = exportName;
    this.#value = value;
    return value;
  }
}
