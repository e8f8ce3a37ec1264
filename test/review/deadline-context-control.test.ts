import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { TimeoutError } from '../../src/errors.js';
import * as tx from '../fixtures/thread-tasks.js';
import * as ctx from '../fixtures/context-tasks.js';
import * as ccx from '../fixtures/control-context-tasks.js';
import { built, changed, failureOf, gate, open } from '../threads/thread-test-kit.js';

describe('deadlines and carriers across real workers, adversarial', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it('a withDeadline that passes while a deaf task runs: TimeoutError, the worker is replaced after cancelGraceMs, no crash is counted, the crash budget stays unspent', async () => {
    reactor = new Reactor({
      policy: { threads: { maxThreads: 1, cancelGraceMs: 20 }, rules: [{ match: { task: 'spinForever' }, route: 'thread' }], adaptive: { crashBudget: { crashes: 1, windowMs: 60_000, then: 'fail' } } },
    });
    const spin = gate(2);
    const task = built(tx.spinForever);
    expect(await reactor.deferToThread(built(tx.add), 1, 1)).toBe(2); // the worker is up: the deadline is not spent starting it
    const d = reactor.withDeadline(2000, () => reactor.dispatch(task, spin));
    await changed(spin); // it runs
    expect(await failureOf(d)).toBeInstanceOf(TimeoutError);
    // Its worker is terminated after the grace and replaced: the next call runs.
    expect(await reactor.deferToThread(built(tx.add), 2, 3)).toBe(5);
    expect(reactor.stats().threads.crashed).toBe(0);
    expect(reactor.explain(task, spin).reason).not.toContain('crash budget spent');
  });

  it('restores the context captured at dispatch for a call queued behind a busy worker, whatever the caller set after', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const cells = gate(2);
    const blocker = ctx.requestId.run('blocker', () => reactor.deferToThread(built(ctx.hold), cells));
    await changed(cells);
    const queued = ctx.requestId.run('first', () => reactor.deferToThread(built(ctx.whoAmI)));
    ctx.requestId.enterWith('changed after dispatch');
    const later = reactor.deferToThread(built(ctx.whoAmI));
    open(cells);
    expect(await blocker).toBe('held');
    expect(await queued).toBe('first');
    expect(await later).toBe('changed after dispatch');
  });

  it('restores the same carried context on a retry after its worker crashed', async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const counter = gate(1);
    const d = ctx.requestId.run('req-7', () => reactor.deferToThread(built(ccx.whoAmICrashOnce), counter));
    expect(await d).toBe('req-7');
    expect(Atomics.load(counter, 0)).toBe(2);
    expect(reactor.stats().threads.retried).toBe(1);
  });
});

describe("policy context.carry on a rule's named pool", () => {
  it('carries only the carriers context.carry lists, in a named pool as in the reactor pool', async () => {
    const reactor = new Reactor({
      policy: {
        context: { carry: [] },
        pools: { side: { maxThreads: 1 } },
        rules: [{ match: { task: 'whoAmI' }, route: 'thread', pool: 'side' }],
      },
    });
    try {
      const task = built(ctx.whoAmI);
      expect(reactor.explain(task).reason).toContain("pool 'side'");
      expect(await ctx.requestId.run('not carried', () => reactor.dispatch(task))).toBeNull();
      expect(await ctx.requestId.run('not carried', () => reactor.deferToThread(task))).toBeNull();
    } finally {
      await reactor.stop({ graceMs: 0 });
    }
  });
});
