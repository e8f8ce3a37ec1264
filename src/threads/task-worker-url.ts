/**
 * Where the Piscina worker entry lives, wherever this module runs from.
 *
 * @module
 */

/**
 * The `file:` URL of the file Piscina loads in each worker (`dist/workers/task-worker-loader.cjs`).
 *
 * That file is a CommonJS stub that `import()`s the worker entry (`dist/workers/task-worker.js`): given the ES module
 * itself, Piscina would load it with `require()`, and a worker terminated inside `require()` of an ES module can
 * abort the process on Node 20 (see `workers/task-worker-loader.cts`).
 *
 * Piscina loads its worker file as JavaScript. Built, this module is `dist/src/threads/task-worker-url.js` and the
 * stub sits at `dist/workers/`. Run from TypeScript source (ts-jest, tsx), this module is
 * `src/threads/task-worker-url.ts`; then the repository's `dist/` build is used (run `npm run build` first).
 * @returns the URL string.
 */
export function taskWorkerUrl(): string {
  const here = import.meta.url;
  const relative = here.endsWith('.ts') ? '../../dist/workers/task-worker-loader.cjs' : '../../workers/task-worker-loader.cjs';
  return new URL(relative, here).href;
}
