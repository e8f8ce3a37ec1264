/**
 * `Policy.watch()` with listeners that throw: the reload happens in a file watcher's callback, where a throw would
 * end the process. A throwing `'change'` listener must not be reported as an invalid config, and neither it nor a
 * throwing `'error'` listener may escape (each becomes a process warning). And a file updated the way a Kubernetes
 * ConfigMap volume is (a symlinked directory swapped), where no file event names the file, and one whose directory is
 * removed and made again. Real file events, as in
 * test/policy/policy-watch.test.ts; every wait is on an event.
 *
 * @module
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineTask } from '../../src/task/task.js';
import { Policy } from '../../src/policy/policy.js';
import { watchPolicyFile, type PolicyWatcher } from '../../src/policy/policy-file-watcher.js';

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

describe('Policy.watch() of a file updated by swapping a symlinked directory (a Kubernetes ConfigMap volume)', () => {
  let dir: string;
  let watcher: PolicyWatcher | undefined;

  beforeEach(() => {
    // dir/policy.json -> ..data/policy.json, ..data -> ..v1: the layout kubelet writes a ConfigMap volume in.
    dir = mkdtempSync(join(tmpdir(), 'greenreactor-review-swap-'));
    mkdirSync(join(dir, '..v1'));
    writeFileSync(join(dir, '..v1', 'policy.json'), JSON.stringify({ default: 'thread' }));
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync(join('..data', 'policy.json'), join(dir, 'policy.json'));
  });

  afterEach(() => {
    watcher?.close();
    watcher = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the new file: no event names the file, only the swapped link', async () => {
    const file = join(dir, 'policy.json');
    const policy = Policy.load(file);
    watcher = policy.watch(file);
    const changed = once(policy, 'change');
    // An update: a new version directory, a new link renamed over ..data (atomic), the old version removed.
    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v2', 'policy.json'), JSON.stringify({ default: 'inline' }));
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    rmSync(join(dir, '..v1'), { recursive: true });
    await changed;
    expect(policy.config).toEqual({ default: 'inline' });
    expect(policy.decide(watched).route).toBe('inline');
  });
});

describe('Policy.watch() of a file whose directory is removed and made again', () => {
  let dir: string;
  let watcher: PolicyWatcher | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'greenreactor-review-gone-'));
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ default: 'thread' }));
  });

  afterEach(() => {
    watcher?.close();
    watcher = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("emits 'error' for the missing file, then applies the file written in the directory made again", async () => {
    const file = join(dir, 'policy.json');
    const policy = Policy.load(file);
    watcher = policy.watch(file);
    const failed = once(policy, 'error');
    rmSync(dir, { recursive: true });
    const [error] = (await failed) as [Error];
    expect(error.message).toContain('(ENOENT)');
    const changed = once(policy, 'change');
    mkdirSync(dir);
    writeFileSync(file, JSON.stringify({ default: 'inline' }));
    await changed;
    expect(policy.decide(watched).route).toBe('inline');
  });
});

describe('watchPolicyFile() of a file in a busy directory', () => {
  let dir: string;
  let watcher: PolicyWatcher | undefined;
  let writer: FSWatcher | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'greenreactor-review-busy-'));
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ default: 'thread' }));
  });

  afterEach(() => {
    writer?.close();
    watcher?.close();
    watcher = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a change while another file in the directory is written again at each of its own events', async () => {
    const file = join(dir, 'policy.json');
    const texts: string[] = [];
    const read = new Promise<void>((resolve) => {
      watcher = watchPolicyFile(file, {
        initialText: JSON.stringify({ default: 'thread' }),
        debounceMs: 1000, // a quiet second: the other writer never leaves one
        onText: (text) => {
          texts.push(text);
          resolve();
        },
        onError: (error) => texts.push(`error: ${error.message}`),
      });
    });
    // Another writer: its file's events make it write again (once per loop turn), so the directory's events never stop.
    let due = false;
    writer = watch(dir, { persistent: false }, (_event, changed) => {
      if (changed !== 'app.log' || due || texts.length > 0) return;
      due = true;
      setImmediate(() => {
        due = false;
        if (texts.length === 0) writeFileSync(join(dir, 'app.log'), 'x');
      });
    });
    writeFileSync(join(dir, 'app.log'), 'x');
    writeFileSync(file, JSON.stringify({ default: 'inline' }));
    await read;
    expect(texts).toEqual([JSON.stringify({ default: 'inline' })]);
  });
});
