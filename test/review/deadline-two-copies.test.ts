/**
 * Two copies of the library in one worker (the package installed twice, or its build beside its source): a task
 * that reads `deadline()` from the copy that did not start it sees the same deadline as the copy that did (the
 * worker's state lives on one global, `Symbol.for('greenreactor.worker')`).
 *
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Reactor } from '../../src/reactor/reactor.js';
import * as rx from '../fixtures/thread-review-tasks.js';
import { built } from '../threads/thread-test-kit.js';

/** A second copy of the built library, inside the repository (so its imports of node_modules resolve). */
const copyDir = fileURLToPath(new URL(`../../dist/second-copy-${process.pid}/`, import.meta.url));

describe('deadline() read from a second copy of the library in a worker', () => {
  beforeAll(() => {
    cpSync(fileURLToPath(new URL('../../dist/src/', import.meta.url)), `${copyDir}src`, { recursive: true });
  });
  afterAll(() => {
    rmSync(copyDir, { recursive: true, force: true });
  });

  it('is the running task\'s deadline, as the copy that started the task reads it', async () => {
    const reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
    try {
      const before = Date.now();
      const url = pathToFileURL(`${copyDir}src/worker/index.js`).href;
      const [fromCopy, fromOwn] = await reactor.deferToThread(built(rx.deadlineFromCopy), url);
      expect(fromOwn).toBeGreaterThanOrEqual(before + 600_000);
      expect(fromCopy).toBe(fromOwn);
    } finally {
      await reactor.stop({ graceMs: 0 });
    }
  });
});
