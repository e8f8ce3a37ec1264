/**
 * Policy `context.carry` naming a carrier nobody registered (SPEC §10: the list says which carriers travel). A name
 * that no `defineContextCarrier` registered on the dispatching thread is a mistake of the program (a typo, or the
 * carrier's module never imported): a call that would carry context — thread and remote routes — errbacks
 * `ContextCarrierError` naming it, at dispatch, unrun, instead of running without that context. The in-process
 * routes carry nothing (the caller's context simply flows), so a green call is not affected.
 *
 * @module
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { defineContextCarrier, removeContextCarrier } from '../../src/context/context-carrier.js';
import { ContextCarrierError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { bullmqBackend } from '../../src/remote-bullmq/index.js';
import * as ctx from '../fixtures/context-tasks.js';
import * as fx from '../fixtures/remote-tasks.js';
import { startRemoteTestBed, type RemoteTestBed } from '../helpers/redis-server.js';
import { built, failureOf, gate } from '../threads/thread-test-kit.js';

/** The name the policy lists and, until a test registers it, nobody registered. */
const missing = 'review.neverRegistered';
const policy = { threads: { minThreads: 1, maxThreads: 1 }, context: { carry: ['test.requestId', missing] } };

/** Registers {@link missing} (it carries nothing: its restore is never called). */
function registerMissing(): void {
  defineContextCarrier(missing, { capture: () => undefined, restore: (_value, run) => run() });
}

function expectNamesMissing(error: unknown): void {
  expect(error).toBeInstanceOf(ContextCarrierError);
  expect(error).toMatchObject({ code: 'ERR_CONTEXT_CARRIER', carrier: missing });
  expect((error as Error).message).toContain(`\`${missing}\``);
  expect((error as Error).message).toContain('context.carry');
}

describe('policy context.carry naming a carrier that is not registered', () => {
  let reactor: Reactor | undefined;
  afterEach(async () => {
    removeContextCarrier(missing);
    await reactor?.stop({ graceMs: 0 });
    reactor = undefined;
  });

  it('fails deferToThread with ContextCarrierError naming it, at dispatch, and the task never runs', async () => {
    reactor = new Reactor({ policy });
    const cells = gate();
    const d = ctx.requestId.run('r-1', () => reactor!.deferToThread(built(ctx.countRun), cells));
    expect(d.called).toBe(true); // refused at dispatch: nothing was sent
    expectNamesMissing(await failureOf(d));
    // Once registered, the same call goes through (the check reads the registry at each dispatch), and it is the
    // first run of countRun in the pool: the refused call never reached a worker.
    registerMissing();
    await expect(ctx.requestId.run('r-2', () => reactor!.deferToThread(built(ctx.countRun), cells).asPromise())).resolves.toBe(1);
  });

  it('fails a thread stream with it too: the iteration throws it and result errbacks with it', async () => {
    reactor = new Reactor({ policy });
    const stream = reactor.stream(built(ctx.whoAmI));
    const error = await failureOf(stream.result);
    expectNamesMissing(error);
    await expect((async () => {
      for await (const _item of stream) {
        // nothing is yielded
      }
    })()).rejects.toBe(error);
  });

  it('fails even when the caller has no context to capture (no store set)', async () => {
    reactor = new Reactor({ policy: { ...policy, context: { carry: [missing] } } });
    expectNamesMissing(await failureOf(reactor.deferToThread(built(ctx.readDeadline))));
  });

  it('leaves the green route alone: a greenlet runs in its caller\'s context, nothing crosses a thread', async () => {
    reactor = new Reactor({ policy });
    const seen = await ctx.requestId.run('green-1', () => reactor!.deferToGreenlet(() => ctx.requestId.getStore()).asPromise());
    expect(seen).toBe('green-1');
  });

  it('fails a thread task dispatched from inside a greenlet the same way', async () => {
    reactor = new Reactor({ policy });
    const r = reactor;
    const error = await failureOf(
      ctx.requestId.run('in-greenlet', () =>
        r.deferToGreenlet(function* (): Generator<unknown, unknown, unknown> {
          return yield r.deferToThread(built(ctx.whoAmI));
        }),
      ),
    );
    expectNamesMissing(error);
  });
});

describe('policy context.carry naming a carrier that is not registered, on the remote route', () => {
  let bed: RemoteTestBed;
  let remoteReactor: Reactor;
  beforeAll(async () => {
    bed = await startRemoteTestBed('carry-policy');
    remoteReactor = new Reactor({ policy, remote: bullmqBackend({ reconcileMs: 200, connection: bed.redis.connection, queue: 'carry-policy' }) });
  });
  afterAll(async () => {
    removeContextCarrier(missing);
    await remoteReactor?.stop({ graceMs: 0 });
    await bed?.stop();
  });

  it('fails deferToRemote with ContextCarrierError naming it before anything is enqueued', async () => {
    const d = ctx.requestId.run('remote-1', () => remoteReactor.deferToRemote(fx.echo, 'never echoed'));
    expect(d.called).toBe(true);
    expectNamesMissing(await failureOf(d));
    expect(remoteReactor.stats().remote?.calls ?? 0).toBe(0);
    registerMissing();
    await expect(remoteReactor.deferToRemote(fx.echo, 'echoed').asPromise()).resolves.toBe('echoed');
  });
});
