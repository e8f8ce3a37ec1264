import { AsyncLocalStorage } from 'node:async_hooks';
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

  it('shares one context between captures in one unchanged context', () => {
    const als = new AsyncLocalStorage<number>();
    const [a, b] = als.run(7, () => [captureContext(), captureContext()]);
    const c = als.run(8, captureContext);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(runInContext(c, () => als.getStore())).toBe(8);
  });
});
