/**
 * `TaskRegistry`: the tasks a worker host agrees to run — the `Task` exports of the modules it imported.
 *
 * Why an allow-list: a job names a module and an export; a host that imported whatever a job named would run any
 * code anyone who can write to the queue chose. And why match by export name too: a caller's module URL is a path
 * on the caller's machine; the same module on a host usually lives elsewhere. So a job's task is found by its exact
 * URL first, else by its export name when exactly one imported module exports a Task of that name.
 *
 * @module
 */
import { TaskNotFoundError } from '../errors.js';
import { importTaskModule } from '../task/import-task-function.js';
import { isTask, normalizeModuleUrl } from '../task/task.js';

/** Where a host finds a task: the module URL on this machine and the export. */
export interface RegisteredTask {
  readonly moduleUrl: string;
  readonly exportName: string;
}

/** The tasks of the modules a host imported. */
export class TaskRegistry {
  /** `moduleUrl#exportName` of every registered task. */
  readonly #byKey = new Set<string>();
  /** Export name → module URLs exporting a Task of that name. */
  readonly #byName = new Map<string, string[]>();

  /**
   * Imports `modules` and registers every `Task` they export.
   * @param modules - module URLs or absolute paths.
   * @returns the registry.
   * @throws TaskNotFoundError when a module cannot be imported; TypeError for a malformed path.
   */
  static async load(modules: ReadonlyArray<string | URL>): Promise<TaskRegistry> {
    const registry = new TaskRegistry();
    for (const module of modules) {
      const url = normalizeModuleUrl(module);
      const namespace = await importTaskModule(url);
      for (const [name, value] of Object.entries(namespace)) {
        if (isTask(value) && value.exportName === name) registry.#add(url, name);
      }
    }
    return registry;
  }

  /** How many tasks are registered. */
  get size(): number {
    return this.#byKey.size;
  }

  /** The registered export names, sorted (for logs). */
  names(): string[] {
    return [...this.#byName.keys()].sort();
  }

  /**
   * Finds the task a job names.
   * @param moduleUrl - the module URL the job carries (the caller's).
   * @param exportName - the export name it carries.
   * @returns where to load it on this host.
   * @throws TaskNotFoundError when no imported module exports it, or several do and the URL matches none.
   */
  resolve(moduleUrl: string, exportName: string): RegisteredTask {
    if (this.#byKey.has(`${moduleUrl}#${exportName}`)) return { moduleUrl, exportName };
    const urls = this.#byName.get(exportName) ?? [];
    if (urls.length === 1) return { moduleUrl: urls[0]!, exportName };
    const why =
      urls.length === 0
        ? `no module this host imported exports a task \`${exportName}\``
        : `several imported modules export a task \`${exportName}\` (${urls.join(', ')}) and none is ${moduleUrl}`;
    throw new TaskNotFoundError(`Task \`${exportName}\` of ${moduleUrl} is not served here: ${why}; start the host with --import <its module>`, {
      moduleUrl,
      exportName,
    });
  }

  #add(url: string, name: string): void {
    this.#byKey.add(`${url}#${name}`);
    const urls = this.#byName.get(name);
    if (urls === undefined) this.#byName.set(name, [url]);
    else urls.push(url);
  }
}
