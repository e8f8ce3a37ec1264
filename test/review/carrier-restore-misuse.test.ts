/**
 * Adversarial tests of a context carrier whose `restore` breaks its contract (SPEC §10: the task runs inside
 * `restore(value, run)`): one that returns without calling `run` must not pass off its own value as the task's
 * result, and one that calls `run` twice must not run the task twice. Both fail the call by name.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { ContextCarrierError } from '../../src/errors.js';
import { restoreCarriedContext } from '../../src/context/context-carrier.js';
import * as cx from '../fixtures/carrier-review-tasks.js';
import { built, gate, settled } from '../threads/thread-test-kit.js';

describe('a context carrier whose restore misuses run', () => {
  let reactor: Reactor | undefined;
  afterEach(async () => {
    await reactor?.stop({ graceMs: 0 });
    reactor = undefined;
  });

  it.each<[cx.RestoreMisuse, number]>([
    ['never', 0],
    ['twice', 1],
  ])('on the thread route, calling run %s: the call errbacks ContextCarrierError naming the carrier; the task ran %i time(s)', async (how, ran) => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 } } });
    const cells = gate(1);
    const outcome = await settled(cx.misuse.run(how, () => reactor!.deferToThread(built(cx.countCarried), cells)));
    expect(outcome.ok ? outcome.value : outcome.error).toBeInstanceOf(ContextCarrierError);
    expect(outcome.ok ? undefined : outcome.error).toMatchObject({ code: 'ERR_CONTEXT_CARRIER', carrier: cx.misusingCarrier.name });
    expect(Atomics.load(cells, 0)).toBe(ran);
    expect(reactor.stats().threads).toMatchObject({ crashed: 0 });
  });

  it.each<[cx.RestoreMisuse]>([['never'], ['twice']])('restoreCarriedContext() throws ContextCarrierError when restore calls run %s', (how) => {
    let runs = 0;
    expect(() => restoreCarriedContext({ [cx.misusingCarrier.name]: how }, () => ++runs)).toThrow(ContextCarrierError);
    expect(runs).toBe(how === 'never' ? 0 : 1);
  });
});
