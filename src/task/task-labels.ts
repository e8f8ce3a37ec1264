/**
 * `taskLabels`: the names people read for a set of tasks, told apart by module where two share a name.
 *
 * @module
 */
import type { TaskIdentity } from './task.js';

/**
 * Names each task for a person: its name while no other task of the set shares it, else its name and, in brackets,
 * the shortest tail of its module's URL that tells it from the others (`parse (a.js)`, `parse (b.js)`; a plain
 * function, which has no module, is `parse (function)`).
 *
 * Why: what is learned and counted per task is keyed by {@link TaskIdentity.id} (`moduleUrl#name`), which is exact
 * but long; records keyed by it read best under the task's name, and the name alone would merge two tasks.
 * @param tasks - the tasks (one entry per id; a repeated id is named once).
 * @returns each id's label.
 * @example
 * ```ts
 * taskLabels([{ id: 'file:///app/a.js#parse', name: 'parse' }, { id: 'file:///app/b.js#parse', name: 'parse' }]);
 * // Map { 'file:///app/a.js#parse' => 'parse (a.js)', 'file:///app/b.js#parse' => 'parse (b.js)' }
 * ```
 */
export function taskLabels(tasks: Iterable<TaskIdentity>): Map<string, string> {
  const byName = new Map<string, Map<string, string | undefined>>(); // name → id → module (undefined: a function)
  for (const { id, name } of tasks) {
    let ids = byName.get(name);
    if (ids === undefined) byName.set(name, (ids = new Map()));
    ids.set(id, moduleOf(id, name));
  }
  const labels = new Map<string, string>();
  for (const [name, ids] of byName) {
    if (ids.size === 1) {
      for (const id of ids.keys()) labels.set(id, name);
      continue;
    }
    const tails = shortestTails([...ids.values()].filter((m): m is string => m !== undefined));
    for (const [id, module] of ids) labels.set(id, `${name} (${module === undefined ? 'function' : (tails.get(module) ?? module)})`);
  }
  return labels;
}

/** The module part of a Task's id (`moduleUrl#name`); undefined for a plain function's (the name itself). */
function moduleOf(id: string, name: string): string | undefined {
  return id.length > name.length + 1 && id.endsWith(`#${name}`) ? id.slice(0, id.length - name.length - 1) : undefined;
}

/** Each URL's shortest tail of `/`-separated segments that no other URL of the list ends with. */
function shortestTails(urls: readonly string[]): Map<string, string> {
  const tails = new Map<string, string>();
  const segments = urls.map((url) => url.split('/'));
  for (const [i, url] of urls.entries()) {
    const own = segments[i] as string[];
    let tail = url;
    for (let k = 1; k <= own.length; k += 1) {
      const candidate = own.slice(-k).join('/');
      if (segments.every((other, j) => j === i || other.slice(-k).join('/') !== candidate)) {
        tail = candidate;
        break;
      }
    }
    tails.set(url, tail);
  }
  return tails;
}

/** One task's figures, with the identity they are labelled by. */
export interface TaskFigures<T> {
  /** The task (its id keys the record; its name, and its module where two share it, label it). */
  readonly task: TaskIdentity;
  /** What was counted for it. */
  readonly figures: T;
}

/**
 * Files each task's figures under its label ({@link taskLabels}), as `stats()` shows them.
 *
 * Why apart from the records: figures are kept and merged by id (a stream's figures join the pool's or the hub's
 * for the same task), and labelled once, over every task shown together, so that two of them never share a label.
 * @param byId - each task's figures, under its id.
 * @returns the figures, under each task's label.
 */
export function byLabel<T>(byId: ReadonlyMap<string, TaskFigures<T>>): Record<string, T> {
  const labels = taskLabels([...byId.values()].map((r) => r.task));
  const out: Record<string, T> = {};
  for (const [id, r] of byId) out[labels.get(id) ?? r.task.name] = r.figures;
  return out;
}
