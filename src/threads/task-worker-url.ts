/**
 * Where the Piscina worker entry lives, wherever this module runs from.
 *
 * @module
 */

/**
 * The `file:` URL of the built worker entry (`dist/workers/task-worker.js`).
 *
 * Piscina loads its worker file as JavaScript. Built, this module is `dist/src/threads/task-worker-url.js` and the
 * entry sits at `dist/workers/`. Run from TypeScript source (ts-jest, tsx), this module is
 * `src/threads/task-worker-url.ts`; then the repository's `dist/` build is used (run `npm run build` first).
 * @returns the URL string.
 */
export function taskWorkerUrl(): string {
  const here = import.meta.url;
  const relative = here.endsWith('.ts') ? '../../dist/workers/task-worker.js' : '../../workers/task-worker.js';
  return new URL(relative, here).href;
}
