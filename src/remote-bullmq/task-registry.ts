/**
 * `TaskRegistry`: the tasks a worker host agrees to run — the `Task` exports of the modules it imported.
 *
 * Why an allow-list: a job names a module and an export; a host that imported whatever a job named would run any
 * code anyone who can write to the queue chose. And why match by export name too: a caller's module URL is a path
 * on the caller's machine; the same module on a host usually lives elsewhere. So a job's task is found by its exact
 * URL first, else by its export name when exactly one Task of that name was imported. One Task counts once however
 * many imports reach it (a module listed twice, or as a path and a URL; an index module re-exporting it): two
 * different Tasks sharing a name are ambiguous, one Task reached twice is not.
 *
 * @module
 */
import { TaskNotFoundError } from '../errors.js';
import { importTaskModule } from '../task/import-task-function.js';
import { isTask, normalizeModuleUrl, type Task } from '../task/task.js';

/** Where a host finds a task: the module URL on this machine and the export. */
export interface RegisteredTask {
  readonly moduleUrl: string;
  readonly exportName: string;
}

/** The tasks of the modules a host imported. */
export class TaskRegistry {
  /** `moduleUrl#exportName` of every import that reached a task. */
  readonly #byKey = new Set<string>();
  /** Export name → the distinct Tasks of that name (by the Task's id), each with the first import that reached it. */
  readonly #byName = new Map<string, Map<string, string>>();

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
        if (isTask(value) && value.exportName === name) registry.#add(url, value);
      }
    }
    return registry;
  }

  /** How many tasks are registered. */
  get size(): number {
    let size = 0;
    for (const tasks of this.#byName.values()) size += tasks.size;
    return size;
  }

  /** The registered export names, sorted (for logs). */
  names(): string[] {
    return [...this.#byName.keys()].sort();
  }

  /**
   * Whether an imported module exports a task named `exportName`.
   * @param exportName - the export name a job carries.
   */
  serves(exportName: string): boolean {
    return this.#byName.has(exportName);
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
    const urls = [...(this.#byName.get(exportName)?.values() ?? [])];
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

  #add(url: string, task: Task): void {
    const name = task.exportName;
    this.#byKey.add(`${url}#${name}`);
    let tasks = this.#byName.get(name);
    if (tasks === undefined) this.#byName.set(name, (tasks = new Map()));
    if (!tasks.has(task.id)) tasks.set(task.id, url);
  }
}
