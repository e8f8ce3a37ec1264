/**
 * `importTaskFunction`: find a task's function from its module URL and export name — the one lookup every path uses
 * (and `importTaskModule`, its import half, with the one `TaskNotFoundError` for a module that cannot be imported).
 *
 * @module
 */
import { TaskNotFoundError } from '../errors.js';
import { thrownMessage } from './thrown-message.js';
import { isTask, type TaskFunction } from './task.js';

/**
 * Imports `moduleUrl` and returns the function exported as `exportName`: the export itself when it is a function,
 * the task's function when it is a `Task`.
 *
 * Why one function: `taskFrom(...).load()` on the main thread and the worker entry resolve the same reference; one
 * lookup means one behaviour and one `TaskNotFoundError` message whichever path runs the task.
 *
 * @param moduleUrl - an importable URL (as `normalizeModuleUrl` makes it).
 * @param exportName - the export to look up.
 * @returns the function.
 * @throws TaskNotFoundError (as a rejection) naming the module URL and the export, when the module cannot be
 *   imported or the export is neither a function nor a Task.
 */
export async function importTaskFunction(moduleUrl: string, exportName: string): Promise<TaskFunction> {
  // A `taskFrom` Task exported there refers on to another export: follow the references here, not through that
  // Task's own `load()`, so a cycle (a `taskFrom` exported under the name it refers to, or two referring to each
  // other) is refused with TaskNotFoundError instead of awaiting its own import for ever.
  const seen: string[] = [];
  let url = moduleUrl;
  let name = exportName;
  for (;;) {
    const id = `${url}#${name}`;
    if (seen.includes(id)) {
      throw new TaskNotFoundError(
        `Task \`${exportName}\` (${moduleUrl}) refers to itself through taskFrom: ${[...seen, id].join(' -> ')}; ` +
          'export the Task returned by defineTask (or the function) under one of those names',
        { moduleUrl, exportName },
      );
    }
    seen.push(id);
    const exported = (await importTaskModule(url, name))[name];
    if (isTask(exported) && exported.fn === undefined) {
      url = exported.moduleUrl;
      name = exported.exportName;
      continue;
    }
    const fn = isTask(exported) ? exported.fn : exported;
    if (typeof fn !== 'function') {
      throw new TaskNotFoundError(
        `Module ${url} has no export \`${name}\` that is a task or a function (found ${typeof exported}); ` +
          'export the Task returned by defineTask (or the function) under that name',
        { moduleUrl: url, exportName: name },
      );
    }
    return fn as TaskFunction;
  }
}

/**
 * Imports a task module: the import half of {@link importTaskFunction}, also used where a whole module's tasks
 * are wanted (a remote host's allow-list), so a module that cannot be imported fails the same way everywhere.
 *
 * @param moduleUrl - an importable URL (as `normalizeModuleUrl` makes it).
 * @param exportName - the task being looked up, when there is one (named in the message).
 * @returns the module's namespace.
 * @throws TaskNotFoundError (as a rejection) naming the module URL (and the export), with the import error as
 *   `cause`, when the module cannot be imported.
 */
export async function importTaskModule(moduleUrl: string, exportName?: string): Promise<Record<string, unknown>> {
  try {
    return (await import(moduleUrl)) as Record<string, unknown>;
  } catch (error) {
    const what = exportName === undefined ? 'a task module' : `the module of task \`${exportName}\``;
    throw new TaskNotFoundError(
      `Cannot import ${what} (${moduleUrl}): ${thrownMessage(error)}`,
      { moduleUrl, exportName },
      { cause: error },
    );
  }
}
