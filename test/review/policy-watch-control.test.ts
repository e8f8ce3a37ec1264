/**
 * `Policy.watch()` with listeners that throw: the reload happens in a file watcher's callback, where a throw would
 * end the process. A throwing `'change'` listener must not be reported as an invalid config, and neither it nor a
 * throwing `'error'` listener may escape (each becomes a process warning). Real file events, as in
 * test/policy/policy-watch.test.ts; every wait is on an event.
 *
 * @module
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineTask } from '../../src/task/task.js';
import { Policy } from '../../src/policy/policy.js';
import type { PolicyWatcher } from '../../src/policy/policy-file-watcher.js';

const watched = defineTask(import.meta.url, 'watched', () => 1, { kind: 'cpu' });

describe('Policy.watch() with throwing listeners', () => {
  let dir: string;
  let file: string;
  let watcher: PolicyWatcher | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'greenreactor-review-watch-'));
    file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify({ default: 'thread' }));
  });

  /** Resolves with the arguments of the next `process.emitWarning` call (spied, as policy-watch.test.ts does). */
  function nextWarning(): Promise<unknown[]> {
    return new Promise((resolve) => {
      jest.spyOn(process, 'emitWarning').mockImplementation((...args: unknown[]) => resolve(args));
    });
  }

  afterEach(() => {
    jest.restoreAllMocks();
    watcher?.close();
    watcher = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("applies the change, emits no 'error' and warns when a 'change' listener throws a non-Error", async () => {
    const policy = Policy.load(file);
    watcher = policy.watch(file);
    const errors: unknown[] = [];
    policy.on('error', (error) => errors.push(error));
    const changed = once(policy, 'change'); // registered first: runs before the throwing listener
    policy.on('change', () => {
      throw 'change listener broke';
    });
    const warned = nextWarning();
    writeFileSync(file, JSON.stringify({ default: 'inline' }));
    await changed;
    const [message, options] = await warned;
    expect(message).toMatch(/'change' listener .* threw: change listener broke/);
    expect(options).toEqual({ code: 'ERR_POLICY_LISTENER' });
    expect(errors).toEqual([]);
    expect(policy.decide(watched).route).toBe('inline');
  });

  it("keeps the old config and warns, when an 'error' listener throws on an invalid new file", async () => {
    const policy = Policy.load(file);
    watcher = policy.watch(file);
    const failed = once(policy, 'error'); // registered first: runs before the throwing listener
    policy.on('error', () => {
      throw new RangeError('error listener broke');
    });
    const warned = nextWarning();
    writeFileSync(file, JSON.stringify({ default: 'thread', threads: { maxThreads: 0 } }));
    await failed;
    const [message, options] = await warned;
    expect(message).toMatch(/'error' listener of the policy threw: error listener broke/);
    expect(options).toEqual({ code: 'ERR_POLICY_LISTENER' });
    expect(policy.config).toEqual({ default: 'thread' });
  });
});
