import { describe, it, expect, beforeEach, afterEach, jest } from '@jest/globals';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineTask } from '../../src/task/task.js';
import { Policy, type PolicyChange } from '../../src/policy/policy.js';
import type { PolicyWatcher } from '../../src/policy/policy-file-watcher.js';
import type { PolicyConfigError } from '../../src/errors.js';

const work = defineTask(import.meta.url, 'work', () => 1, { kind: 'cpu' });

describe('Policy', () => {
  describe('.watch()', () => {
    let dir: string;
    let file: string;
    let watcher: PolicyWatcher | undefined;

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'greenreactor-watch-'));
      file = join(dir, 'policy.json');
      writeFileSync(file, JSON.stringify({ default: 'thread' }));
    });

    afterEach(() => {
      watcher?.close();
      watcher = undefined;
      rmSync(dir, { recursive: true, force: true });
    });

    it('applies a valid change to the file', async () => {
      const policy = Policy.load(file);
      watcher = policy.watch(file);
      const changed = once(policy, 'change') as Promise<[PolicyChange]>;
      writeFileSync(file, JSON.stringify({ rules: [{ name: 'now-green', match: { task: 'work' }, route: 'green' }] }));
      const [change] = await changed;
      expect(change.source).toBe(file);
      expect(policy.decide(work)).toEqual({ route: 'green', rule: 'now-green', reason: "rule 'now-green' matched task 'work'" });
    });

    it('applies a file replaced by rename, as editors save', async () => {
      const policy = Policy.load(file);
      watcher = policy.watch(file);
      const changed = once(policy, 'change');
      const temp = join(dir, 'policy.json.tmp');
      writeFileSync(temp, JSON.stringify({ default: 'inline' }));
      renameSync(temp, file);
      await changed;
      expect(policy.decide(work).route).toBe('inline');
    });

    it("keeps the old policy and emits 'error' when the new file is invalid", async () => {
      const policy = Policy.load(file);
      watcher = policy.watch(file);
      const failed = once(policy, 'error') as Promise<[PolicyConfigError]>;
      writeFileSync(file, JSON.stringify({ default: 'thread', threads: { maxThreads: 0 } }));
      const [error] = await failed;
      expect(error.code).toBe('ERR_POLICY_CONFIG');
      expect(error.issues.map((i) => i.path)).toEqual(['/threads/maxThreads']);
      expect(policy.config).toEqual({ default: 'thread' });
      expect(policy.decide(work).route).toBe('thread');
    });

    it('recovers when a valid file follows an invalid one', async () => {
      const policy = Policy.load(file);
      watcher = policy.watch(file);
      const failed = once(policy, 'error');
      writeFileSync(file, '{ "default": ');
      await failed;
      const changed = once(policy, 'change');
      writeFileSync(file, JSON.stringify({ default: 'green' }));
      await changed;
      expect(policy.config).toEqual({ default: 'green' });
    });

    it("turns an invalid file into a process warning when nobody listens for 'error'", async () => {
      const policy = Policy.load(file);
      watcher = policy.watch(file);
      let warn!: (args: unknown[]) => void;
      const warned = new Promise<unknown[]>((resolve) => {
        warn = resolve;
      });
      const spy = jest.spyOn(process, 'emitWarning').mockImplementation((...args: unknown[]) => warn(args));
      try {
        writeFileSync(file, '[]');
        const [message, options] = await warned;
        expect(message).toContain('Expected the policy config to be an object');
        expect(options).toEqual({ code: 'ERR_POLICY_CONFIG' });
        expect(policy.config).toEqual({ default: 'thread' });
      } finally {
        spy.mockRestore();
      }
    });

    it('stops applying changes after close()', async () => {
      const policy = Policy.load(file);
      const first = policy.watch(file);
      first.close();
      // A second watch on the same file proves the change happened and was seen by a live watcher only.
      const other = Policy.load(file);
      watcher = other.watch(file);
      const changed = once(other, 'change');
      writeFileSync(file, JSON.stringify({ default: 'inline' }));
      await changed;
      expect(policy.config).toEqual({ default: 'thread' });
    });
  });
});
