import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { captureContext, runInContext } from '../../src/time/async-context.js';

describe('captureContext()', () => {
  it('captures the stores of the caller, to run code in them later', () => {
    const als = new AsyncLocalStorage<string>();
    const context = als.run('request 1', captureContext);
    expect(runInContext(context, () => als.getStore())).toBe('request 1');
  });

  it('sees a store set on the same resource, after an earlier capture, by an AsyncLocalStorage no capture knew', () => {
    captureContext(); // e.g. a Reactor made before the request handler runs
    const fresh = new AsyncLocalStorage<string>();
    const context = fresh.run('mine', captureContext);
    expect(runInContext(context, () => fresh.getStore())).toBe('mine');
  });

  it('sees a store that enterWith set on the same resource after an earlier capture', () => {
    const als = new AsyncLocalStorage<string>();
    als.run('known', () => undefined); // a storage the captures already know
    const [before, after] = new AsyncResource('test').runInAsyncScope(() => {
      const first = captureContext();
      als.enterWith('entered');
      return [first, captureContext()];
    });
    expect(runInContext(before, () => als.getStore())).toBeUndefined();
    expect(runInContext(after, () => als.getStore())).toBe('entered');
  });

  it('sees the store of a storage that was disabled and then used again', () => {
    const als = new AsyncLocalStorage<string>();
    const first = als.run('one', captureContext);
    als.disable();
    captureContext();
    const again = als.run('two', captureContext);
    expect(runInContext(first, () => als.getStore())).toBe('one');
    expect(runInContext(again, () => als.getStore())).toBe('two');
  });

  it('knows the storages a program used before it loaded greenreactor', async () => {
    const script = fileURLToPath(new URL('./fixtures/storage-before-load.ts', import.meta.url));
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', script], { timeout: 30_000 }, (error, out) => (error === null ? resolve(out) : reject(error)));
    });
    expect(JSON.parse(stdout.trim())).toEqual({ seen: 'request' });
  });

  it('enables no AsyncLocalStorage of its own, so the process keeps no promise hook on its account', async () => {
    const script = fileURLToPath(new URL('./fixtures/library-without-storage.ts', import.meta.url));
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', script], { timeout: 30_000 }, (error, out) => (error === null ? resolve(out) : reject(error)));
    });
    expect(JSON.parse(stdout.trim())).toEqual({ watchable: true, enabled: 0 });
  });

  it('shares one context between captures in one unchanged context', () => {
    const als = new AsyncLocalStorage<number>();
    const [a, b] = als.run(7, () => [captureContext(), captureContext()]);
    const c = als.run(8, captureContext);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(runInContext(c, () => als.getStore())).toBe(8);
  });
});
