/**
 * The SPEC's names as a user meets them: a consumer project in a temporary directory whose `'greenreactor'`
 * resolves through package.json "exports" to the built package (test/docs/docs-project.ts), importing each entry
 * point as ESM and `require()`ing it from CommonJS, and meeting every error class SPEC §1 lists where the SPEC says
 * it comes out, with the class exported, its `name` equal to the class name and its stable `code`.
 *
 * Needs the build (`npm test` builds first).
 *
 * @module
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { runChild, type ChildRun } from '../helpers/run-child.js';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDocsProject } from '../docs/docs-project.js';
import { errorsMjs, kindsCjs, kindsMjs, specNames, tasksMjs } from './spec-surface-files.js';

/** How long one consumer process may run (a bound against a hang: a loaded machine starts node slowly). */
const childMs = 60_000;

/** Runs `node <args>` in the project, bounded by `childMs`. */
function node(args: string[], cwd: string): Promise<ChildRun> {
  return runChild(process.execPath, args, { cwd, timeoutMs: childMs });
}

describe('the SPEC surface, from a consumer project', () => {
  let dir: string;

  beforeAll(() => {
    // bullmq and ioredis: greenreactor/remote-bullmq loads them (optional peer dependencies).
    dir = makeDocsProject('greenreactor-spec-surface-', ['bullmq', 'ioredis']);
    writeFileSync(join(dir, 'tasks.mjs'), tasksMjs);
    writeFileSync(join(dir, 'kinds.mjs'), kindsMjs);
    writeFileSync(join(dir, 'kinds.cjs'), kindsCjs);
    writeFileSync(join(dir, 'errors.mjs'), errorsMjs);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['imported as ESM', 'kinds.mjs'],
    ['require()d from CommonJS', 'kinds.cjs'],
  ])('exports every name the SPEC gives each entry point, as a class, function or object, %s', async (_how, file) => {
    const run = await node([file, JSON.stringify(specNames)], dir);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual(specNames);
  }, childMs + 10_000);

  it('throws or errbacks each error class the SPEC names where it says, exported, named after its class, with its stable code', async () => {
    const run = await node(['errors.mjs'], dir);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const codes: Record<string, string> = {
      AlreadyCalledError: 'ERR_ALREADY_CALLED',
      AlreadyCancelledError: 'ERR_ALREADY_CANCELLED',
      CancelledError: 'ERR_CANCELLED',
      TimeoutError: 'ERR_TIMEOUT',
      FirstError: 'ERR_FIRST_ERROR',
      FailureGroup: 'ERR_FAILURE_GROUP',
      QueueOverflow: 'ERR_QUEUE_OVERFLOW',
      QueueUnderflow: 'ERR_QUEUE_UNDERFLOW',
      ReactorStoppedError: 'ERR_REACTOR_STOPPED',
      WorkerCrashedError: 'ERR_WORKER_CRASHED',
      TaskNotFoundError: 'ERR_TASK_NOT_FOUND',
      QueueFullError: 'ERR_QUEUE_FULL',
      DataCloneError: 'ERR_DATA_CLONE',
      GreenletExit: 'ERR_GREENLET_EXIT',
      QueueFull: 'ERR_QUEUE_FULL_NOWAIT',
      QueueEmpty: 'ERR_QUEUE_EMPTY',
      PolicyConfigError: 'ERR_POLICY_CONFIG',
    };
    expect(JSON.parse(run.stdout)).toEqual(
      Object.fromEntries(Object.entries(codes).map(([name, code]) => [name, { name, code, isClass: true, isBase: true }])),
    );
  }, childMs + 10_000);
});
