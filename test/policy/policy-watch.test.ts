import { describe, it, expect, beforeEach, afterEach, jest } from '@jest/globals';
import { once } from 'node:events';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineTask } from '../../src/task/task.js';
import { Policy, type PolicyChange } from '../../src/policy/policy.js';
import type { PolicyWatcher } from '../../src/policy/policy-file-watcher.js';
import { PolicyConfigError as PolicyConfigErrorClass, type PolicyConfigError } from '../../src/errors.js';

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
    describe('a file read while it is written (in place, in pieces)', () => {
      // reload() (`update(file)`) refuses the partial text and keeps the policy in force; a watch reports it as an
      // 'error', keeps the policy, and still applies the file when its last piece lands (the partial text it read
      // must not make it skip the complete one).
      const written = defineTask(import.meta.url, 'written', () => 1, { kind: 'cpu' });
      const next = JSON.stringify({ default: 'green', rules: [{ name: 'late', match: { task: 'written' }, route: 'inline' }] });

      it.each([
        ['cut inside a string', next.slice(0, next.indexOf('late') + 2)],
        ['cut after a comma', next.slice(0, next.indexOf(',') + 1)],
        ['only the opening brace', '{'],
        ['truncated to nothing', ''],
      ])('update() refuses the file %s with one PolicyConfigError issue at "" and keeps the policy in force', (_what, partial) => {
        const policy = Policy.load(file);
        writeFileSync(file, partial);
        expect(() => policy.update(file)).toThrow(PolicyConfigErrorClass);
        expect(() => policy.update(file)).toThrow(expect.objectContaining({ issues: [{ path: '', message: expect.stringContaining(file) }] }));
        expect(policy.decide(written)).toMatchObject({ route: 'thread' });
        expect(policy.stats().reloads).toBe(0);
      });

      it("emits 'error' for the partial text, keeps the policy, and applies the file once its last piece lands", async () => {
        const policy = Policy.load(file);
        watcher = policy.watch(file);
        const cut = next.indexOf('late') + 2;
        const failed = once(policy, 'error') as Promise<[PolicyConfigError]>;
        writeFileSync(file, next.slice(0, cut)); // the first piece
        const [error] = await failed;
        expect(error.issues[0]?.message).toMatch(/^Cannot parse policy file .*as JSON/);
        expect(policy.decide(written)).toMatchObject({ route: 'thread' });
        const changed = once(policy, 'change');
        appendFileSync(file, next.slice(cut)); // the rest
        await changed;
        expect(policy.decide(written)).toMatchObject({ route: 'inline', rule: 'late' });
      });
    });
  });
});
