import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask } from '../../src/task/task.js';
import { deadline } from '../../src/worker/index.js';
import * as ctx from '../fixtures/context-tasks.js';
import { built } from '../threads/thread-test-kit.js';

/** Reads its deadline after a foreign await, so an asynchronous inline call arms its route's timer. */
const inlineAfterAwait = defineTask(
  import.meta.url,
  'inlineAfterAwait',
  async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return deadline() ?? null;
  },
  { route: 'inline' },
);

/** A green call that reads its deadline after a switch. */
async function greenAfterSwitch(this: void): Promise<number | null> {
  await new Promise((resolve) => setImmediate(resolve));
  return deadline() ?? null;
}

describe('reactor.withDeadline(Infinity): a deadline that never passes (SPEC §10)', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it('gives fn no deadline: deadline() reads undefined', () => {
    reactor = new Reactor();
    expect(reactor.withDeadline(Number.POSITIVE_INFINITY, () => deadline())).toBeUndefined();
  });

  it('keeps an enclosing deadline (the earlier wins)', () => {
    reactor = new Reactor();
    const [outer, inner] = reactor.withDeadline(60_000, () => [deadline(), reactor.withDeadline(Number.POSITIVE_INFINITY, () => deadline())]);
    expect(inner).toBe(outer);
  });

  it.each([
    ['deferToThread', (r: Reactor) => r.deferToThread(built(ctx.readDeadline))],
    ['dispatch to a thread', (r: Reactor) => r.dispatch(built(ctx.readDeadline))],
    ['callMultipleInThread', (r: Reactor) => r.callMultipleInThread([[built(ctx.readDeadline)]]).addCallback(() => null)],
    ['deferToGreenlet', (r: Reactor) => r.deferToGreenlet(greenAfterSwitch)],
    ['dispatch inline', (r: Reactor) => r.dispatch(inlineAfterAwait)],
    ['stream', (r: Reactor) => r.stream(built(ctx.readDeadline)).result],
  ])('lets %s inside it run to its result, with no deadline, instead of throwing or failing', async (_name, call) => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    let d: PromiseLike<unknown> | undefined;
    expect(() => {
      d = reactor.withDeadline(Number.POSITIVE_INFINITY, () => call(reactor));
    }).not.toThrow();
    await expect(d).resolves.toBeNull();
  });
});
