/**
 * Adversarial tests of context carriers: a `capture` that throws a hostile value must still fail the dispatch with
 * `ContextCarrierError` naming the carrier (never with whatever reading the thrown value threw instead).
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ContextCarrierError } from '../../src/errors.js';
import { captureCarriedContext, defineContextCarrier, removeContextCarrier } from '../../src/context/context-carrier.js';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import * as fx from '../fixtures/context-tasks.js';
import { built, failureOf, gate } from '../threads/thread-test-kit.js';
import { revokedProxy } from '../helpers/hostile-values.js';

const carrierName = 'review.hostileCapture';

describe('captureCarriedContext()', () => {
  let pool: ThreadPool | undefined;
  afterEach(async () => {
    removeContextCarrier(carrierName);
    await pool?.close();
    pool = undefined;
  });

  it.each([
    ['a revoked Proxy', revokedProxy],
    [
      'an object whose message getter throws',
      () => ({
        get message(): unknown {
          throw new Error('message getter broke');
        },
      }),
    ],
  ])('throws ContextCarrierError naming the carrier when a capture throws %s', (_name, make) => {
    const thrown = make();
    defineContextCarrier(carrierName, {
      capture: () => {
        throw thrown;
      },
      restore: (_value, run) => run(),
    });
    let error: unknown;
    try {
      captureCarriedContext();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ContextCarrierError);
    expect(error).toMatchObject({ code: 'ERR_CONTEXT_CARRIER', carrier: carrierName });
    expect((error as Error).cause).toBe(thrown);
  });

  it('fails a thread dispatch with ContextCarrierError when a capture throws a revoked Proxy, and sends nothing', async () => {
    const thrown = revokedProxy();
    defineContextCarrier(carrierName, {
      capture: () => {
        throw thrown;
      },
      restore: (_value, run) => run(),
    });
    pool = new ThreadPool({ maxThreads: 1 });
    const error = await failureOf(pool.run(built(fx.countRun), gate(1)));
    expect(error).toBeInstanceOf(ContextCarrierError);
    expect(error).toMatchObject({ carrier: carrierName });
    expect(pool.state).toBe('idle');
  });

  it('fails a thread dispatch with ContextCarrierError naming the carrier when its captured value cannot be cloned, and runs nothing', async () => {
    defineContextCarrier(carrierName, { capture: () => () => 1, restore: (_value, run) => run() });
    pool = new ThreadPool({ maxThreads: 1 });
    const cells = gate(1);
    const error = await failureOf(pool.run(built(fx.countRun), cells));
    expect(error).toBeInstanceOf(ContextCarrierError);
    expect(error).toMatchObject({ carrier: carrierName, code: 'ERR_CONTEXT_CARRIER' });
    expect((error as Error).message).toContain(`context carrier \`${carrierName}\``);
    expect((error as Error).cause).toMatchObject({ name: 'DataCloneError' });
    expect(Atomics.load(cells, 0)).toBe(0);
    // Calls that queue together (and may travel in one batch) are each failed the same way.
    const together = await Promise.all([1, 2, 3, 4].map(() => failureOf(pool!.run(built(fx.countRun), cells))));
    expect(together.map((e) => [e instanceof ContextCarrierError, (e as ContextCarrierError).carrier])).toEqual(
      [1, 2, 3, 4].map(() => [true, carrierName]),
    );
    expect(Atomics.load(cells, 0)).toBe(0);
  });
});
