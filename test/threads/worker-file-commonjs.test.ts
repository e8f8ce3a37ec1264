/**
 * Pins that the file the pool hands Piscina keeps Piscina's `require()` out of Node's synchronous ES module loader.
 *
 * Piscina loads its worker file with `require()` first. On Node 20.19+, `require()` of an ES module instantiates the
 * module graph synchronously, and a worker terminated at the wrong moment of that (a pool stopped, a worker recycled
 * or killed just after it started) aborts the whole process with V8's fatal error "IsGraphAsync must be used on an
 * instantiated module": it took down a whole `npm test` run. The window is microseconds wide, so a test cannot hit it
 * on demand; this one pins the cause instead: with `require(esm)` turned off (`--no-experimental-require-module`),
 * `require()` of the pool's worker file must still succeed, which it does only while that file is CommonJS and
 * loads the entry with `import()` (workers/task-worker-loader.cts).
 */
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { taskWorkerUrl } from '../../src/threads/task-worker-url.js';

const run = promisify(execFile);

/** What a child process sees when it loads `file` as Piscina does (its handler Promise's failure is expected here). */
const piscinaLikeLoad = `
const loaded = require(process.argv[1]);
Promise.resolve(loaded.default).catch(() => {}); // outside a worker the entry has no workerData: it fails, unread
process.stdout.write(JSON.stringify({ esModule: loaded.__esModule === true, thenable: typeof loaded.default?.then }));
`;

describe("the pool's worker file", () => {
  it('loads with require() when require(esm) is turned off: Piscina never enters the synchronous ES module loader', async () => {
    const file = fileURLToPath(taskWorkerUrl());
    const { stdout } = await run(process.execPath, ['--no-experimental-require-module', '-e', piscinaLikeLoad, file], {
      timeout: 30_000,
    });
    expect(JSON.parse(stdout)).toEqual({ esModule: true, thenable: 'function' });
  });
});
