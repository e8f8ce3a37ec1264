/**
 * `writeTaskModule`: a task module written as plain JavaScript to a temporary directory, for a test that needs a
 * worker-side task of its own without a build (workers load JavaScript, and `test/fixtures/` reaches workers only as
 * built by `npm run build`).
 *
 * One fixture for the tests that each wrote the module, made the task with `taskFrom` and removed the directory by
 * hand (the bulkhead and crash-budget review tests).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { taskFrom, type Task } from '../../src/task/task.js';

/** A written task module: its tasks, and the directory's removal. */
export interface TempTaskModule {
  /** The module's `file:` URL. */
  readonly url: URL;
  /**
   * A task running the module's export `exportName` (`taskFrom`: imported in the worker, or lazily in-process).
   * @param exportName - a function the source exports.
   * @returns the task.
   */
  task<Args extends unknown[], R>(exportName: string): Task<Args, R>;
  /** Removes the directory (for `afterAll`). */
  remove(): void;
}

/**
 * Writes `source` to `<a new temporary directory>/<fileName>`.
 * @param prefix - the directory's name prefix (the test's theme, to find a directory left behind).
 * @param fileName - the module's file name, ending in `.mjs`.
 * @param source - the module's JavaScript: the task functions it exports.
 * @returns the module.
 */
export function writeTaskModule(prefix: string, fileName: string, source: string): TempTaskModule {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = join(dir, fileName);
  writeFileSync(file, source);
  const url = pathToFileURL(file);
  return {
    url,
    task: <Args extends unknown[], R>(exportName: string) => taskFrom<Args, R>(url, exportName),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
