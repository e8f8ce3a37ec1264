/**
 * The file Piscina loads in each worker: a CommonJS stub that loads the real worker entry, the ES module
 * `task-worker.js`, with `import()`.
 *
 * Why a stub: Piscina loads its worker file with `require()` first and falls back to `import()`. On Node 20.19+,
 * `require()` of an ES module takes the synchronous module loader (`require(esm)`), and a worker terminated while
 * that loader instantiates the module graph — a pool stopped, a worker recycled or killed just after it started —
 * aborts the whole process: V8's fatal error "IsGraphAsync must be used on an instantiated module" (reproduced on
 * Node 20.20.2; test/threads/worker-start-termination.test.ts). `import()` takes the asynchronous loader, which a
 * termination ends cleanly. This file is CommonJS, so Piscina's `require()` of it stays in the CommonJS loader.
 *
 * Piscina reads the handler as `default` of a module marked `__esModule` and awaits it, so `default` is the Promise
 * of the entry's handler. If the entry cannot load (a broken install), Piscina finds no handler and each task fails
 * with its "No handler function exported" error.
 *
 * @module
 */
export = {
  __esModule: true,
  default: import('./task-worker.js').then((entry) => entry.default),
};
