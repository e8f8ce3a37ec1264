import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { ThreadPoolCounters } from '../../src/threads/thread-pool-stats.js';
import * as a from '../fixtures/parse-tasks-a.js';
import { built } from '../threads/thread-test-kit.js';
import { drain } from './stream-test-kit.js';

// Once a stream ran on a route, reactor.stats() adds its figures to the route's per-task entries. The route's
// per-task figures (percentiles over each task's samples) must then be computed once per stats() call, not once
// for the route's own stats and again for the merge.

describe('reactor.stats() after a stream', () => {
  let reactor: Reactor | undefined;
  afterEach(async () => {
    jest.restoreAllMocks();
    await reactor?.stop({ graceMs: 0 });
    reactor = undefined;
  });

  it("computes the hub's per-task figures once", async () => {
    reactor = new Reactor({ policy: { default: 'green' } });
    expect(await drain(reactor.stream(a.squares, 3))).toEqual([0, 1, 4]);
    const byId = jest.spyOn(reactor.hub, 'taskStatsById');
    const { tasks } = reactor.stats().green;
    expect(tasks['squares']).toMatchObject({ streamedItems: 3 });
    expect(byId).toHaveBeenCalledTimes(1);
  });

  it("computes a thread pool's per-task figures once", async () => {
    reactor = new Reactor({ policy: { default: 'thread', threads: { maxThreads: 1 } } });
    const s = reactor.stream(built(a.squares), 3);
    expect(await drain(s)).toEqual([0, 1, 4]);
    await s.result;
    const byId = jest.spyOn(ThreadPoolCounters.prototype, 'taskStatsById');
    const { tasks } = reactor.stats().threads;
    expect(tasks['squares']).toMatchObject({ runs: 1, streamedItems: 3 });
    expect(byId).toHaveBeenCalledTimes(1);
  });
});
