import { describe, expect, it } from '@jest/globals';
import { captureDispatchSite, describeDispatchSite, DispatchSites, withDispatchSite, type DispatchedTask } from '../../src/dispatch-site.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { Clock } from '../../src/time/clock.js';
import * as pa from '../fixtures/parse-tasks-a.js';
import * as pb from '../fixtures/parse-tasks-b.js';
import * as fx from '../fixtures/thread-tasks.js';
import * as sx from '../fixtures/stream-tasks.js';
import { built, changed, failureOf, gate, open } from './thread-test-kit.js';

const task = { id: 'file:///app/images.js#resize', name: 'resize' };

/** A capture that leaves out this helper's own frame. */
function capture() {
  return captureDispatchSite(4, capture);
}

function dispatch(sites: DispatchSites, t: DispatchedTask = task) {
  return sites.site(t, dispatch);
}

describe('describeDispatchSite()', () => {
  it("names the task and lists the caller's frames, without the capture's own first line", () => {
    const text = describeDispatchSite(capture(), 'resize')!;
    expect(text.split('\n')[0]).toBe('    --- task `resize` dispatched from ---');
    expect(text).toMatch(/dispatch-site\.test\.ts/);
  });

  it('says how the call went when it was not to a local thread', () => {
    expect(describeDispatchSite(capture(), 'resize', 'remote')).toMatch(/^ {4}--- task `resize` dispatched \(remote\) from ---\n/);
  });

  it('gives nothing without a captured site', () => {
    expect(describeDispatchSite(undefined, 'resize')).toBeUndefined();
  });
});

describe('DispatchSites', () => {
  describe('.site()', () => {
    it('shares one capture between the calls of a task dispatched in one synchronous run, and says so', () => {
      const sites = new DispatchSites(4);
      const first = dispatch(sites);
      const more = [dispatch(sites), dispatch(sites)];
      expect(more.every((s) => s === first)).toBe(true);
      expect(first.shared).toBe(3);
      expect(describeDispatchSite(first, 'resize')!.split('\n')[0]).toBe(
        '    --- task `resize` dispatched from (shared by the 3 calls of it dispatched together; the first came from here) ---',
      );
    });

    it('captures anew once the run of code ended (after a microtask)', async () => {
      const sites = new DispatchSites(4);
      const first = dispatch(sites);
      await Promise.resolve();
      const later = dispatch(sites);
      expect(later).not.toBe(first);
      expect(later.shared).toBeUndefined();
    });

    it('captures each task on its own', () => {
      const sites = new DispatchSites(4);
      expect(dispatch(sites, { name: 'a' })).not.toBe(dispatch(sites, { name: 'b' }));
    });

    it('shares each task its own site when calls of several tasks interleave in one run, and none after it', async () => {
      const sites = new DispatchSites(4);
      const [a, b, c] = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
      const firsts = [dispatch(sites, a), dispatch(sites, b), dispatch(sites, c)];
      const again = [dispatch(sites, c), dispatch(sites, a), dispatch(sites, b), dispatch(sites, b)];
      // Identity, not equality: every site is an Error with the same empty message.
      [firsts[2], firsts[0], firsts[1], firsts[1]].forEach((site, i) => expect(again[i]).toBe(site));
      expect(firsts.map((site) => site.shared)).toEqual([2, 3, 2]);
      expect(new Set(firsts).size).toBe(3);
      await Promise.resolve();
      const later = [dispatch(sites, a), dispatch(sites, b), dispatch(sites, c)];
      for (const [i, site] of later.entries()) {
        expect(site).not.toBe(firsts[i]);
        expect(site.shared).toBeUndefined();
      }
      // The new run shares again.
      expect(dispatch(sites, b)).toBe(later[1]);
      expect(dispatch(sites, a)).toBe(later[0]);
    });

    it("captures every call's own site for a task that failed before", () => {
      const sites = new DispatchSites(4);
      sites.failed(task);
      const a = dispatch(sites);
      const b = dispatch(sites);
      expect(a).not.toBe(b);
      expect([a.shared, b.shared]).toEqual([undefined, undefined]);
      expect(describeDispatchSite(b, 'resize')!.split('\n')[0]).toBe('    --- task `resize` dispatched from ---');
    });

    it("still shares the site of another module's task of the same name as a task that failed before", () => {
      const sites = new DispatchSites(4);
      const other = { id: 'file:///app/thumbs.js#resize', name: 'resize' };
      sites.failed(task);
      const first = dispatch(sites, other);
      expect(dispatch(sites, other)).toBe(first);
      expect(first.shared).toBe(2);
      expect(dispatch(sites, task)).not.toBe(dispatch(sites, task));
    });
  });
});

describe('ThreadPool dispatch sites of two tasks of the same name from two modules', () => {
  it("still shares one site among one module's calls dispatched together after the other module's task failed", async () => {
    const pool = new ThreadPool({ minThreads: 1, maxThreads: 1, clock: new Clock() });
    try {
      const [ca, cb] = [built(pa.checkSign), built(pb.checkSign)];
      const header = (error: Error): string => error.stack!.split('\n').find((line) => line.includes('dispatched from'))!;
      expect((await failureOf(pool.run(ca, -1))).message).toBe('a: -1 is negative');
      // b's task has not failed: its calls dispatched together share the first one's site.
      const together = [pool.run(cb, 1), pool.run(cb, -2)];
      expect(await together[0]).toBe(1);
      const error = await failureOf(together[1]!);
      expect(error.message).toBe('b: -2 is negative');
      expect(header(error)).toMatch(/dispatched from \(shared by the 2 calls of it dispatched together/);
      // a's task has: each of its calls captures its own.
      const apart = [pool.run(ca, 1), pool.run(ca, -3)];
      expect(await apart[0]).toBe(1);
      expect(header(await failureOf(apart[1]!))).toBe('    --- task `checkSign` dispatched from ---');
    } finally {
      await pool.close();
    }
  });
});

describe('withDispatchSite()', () => {
  it('gives its site to the first capture made within it, never shared, and to no other capture', () => {
    const held = capture();
    const sites = new DispatchSites(4);
    const [carried, next, shared] = withDispatchSite(held, () => [dispatch(sites), capture(), dispatch(sites)]);
    expect(carried).toBe(held);
    expect(held.shared).toBeUndefined();
    expect(next).not.toBe(held);
    expect(shared).not.toBe(held);
    expect(capture()).not.toBe(held);
  });

  it('drops its site when nothing captured within it', () => {
    const held = capture();
    expect(withDispatchSite(held, () => 'sent')).toBe('sent');
    expect(capture()).not.toBe(held);
  });
});

describe('Reactor dispatch sites of calls a bulkhead held', () => {
  it("start at Reactor.dispatch, then the caller's frames, although the call reached the pool later", async () => {
    const reactor = new Reactor({ policy: { default: 'thread', rules: [{ name: 'one', match: { task: '*' }, route: 'thread', maxConcurrent: 1 }] } });
    try {
      const cells = gate();
      const first = reactor.dispatch(built(fx.waitForGate), cells, 'done');
      const held = reactor.dispatch(built(fx.throwCustom), 'x'); // waits in the rule's bulkhead
      expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 1, waiting: 1 });
      await changed(cells);
      open(cells);
      expect(await first).toBe('done');
      const error = await failureOf(held);
      const site = (error.stack as string).split('--- task `throwCustom` dispatched from ---\n')[1]!.split('\n');
      expect(site[0]).toMatch(/at Reactor\.dispatch /);
      expect(site[1]).toMatch(/dispatch-site\.test\.ts/);
    } finally {
      await reactor.stop();
    }
  });

  it("start at Reactor.stream, then the caller's frames, for a stream the bulkhead held", async () => {
    const reactor = new Reactor({ policy: { rules: [{ name: 'one', match: { task: '*' }, route: 'thread', maxConcurrent: 1 }] } });
    try {
      const cells = gate();
      const first = reactor.dispatch(built(fx.waitForGate), cells, 'done');
      const held = reactor.stream(built(sx.throwAfter), 0); // waits in the rule's bulkhead
      expect(reactor.stats().policy.bulkheads['one']).toMatchObject({ inFlight: 1, waiting: 1 });
      await changed(cells);
      open(cells);
      expect(await first).toBe('done');
      const error = await failureOf(held.result);
      const site = (error.stack as string).split('--- task `throwAfter` dispatched from ---\n')[1]!.split('\n');
      expect(site[0]).toMatch(/at Reactor\.stream /);
      expect(site[1]).toMatch(/dispatch-site\.test\.ts/);
    } finally {
      await reactor.stop();
    }
  });
});

describe('Reactor dispatch sites of calls the crash budget held', () => {
  it("start at Reactor.dispatch, then the caller's frames, although the call reached the pool later", async () => {
    // One crash allowed: until the task is proven (a run ended without crashing its worker) one call at a time goes.
    const reactor = new Reactor({ policy: { default: 'thread', adaptive: { crashBudget: { crashes: 1, windowMs: 60_000, then: 'fail' } } } });
    try {
      const first = reactor.dispatch(built(fx.throwCustom), 'first');
      const held = reactor.dispatch(built(fx.throwCustom), 'held'); // waits behind the first in the crash budget's gate
      expect((await failureOf(first)).message).toBe('cannot parse first');
      const error = await failureOf(held);
      expect(error.message).toBe('cannot parse held');
      const site = (error.stack as string).split('--- task `throwCustom` dispatched from ---\n')[1]!.split('\n');
      expect(site[0]).toMatch(/at Reactor\.dispatch /);
      expect(site[1]).toMatch(/dispatch-site\.test\.ts/);
    } finally {
      await reactor.stop();
    }
  });
});
