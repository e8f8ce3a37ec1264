/**
 * A context carrier whose `restore` calls `run` from a later tick without returning a promise for it (SPEC §10: the
 * task runs inside `restore(value, run)`, which calls `run` at once or before the promise it returns settles). The
 * call fails at once with `ContextCarrierError` ("the task did not run"), so a `run` that comes later must not run
 * the task after all: it throws `ContextCarrierError`, and the task never runs behind its failed call's back.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ContextCarrierError } from '../../src/errors.js';
import { defineContextCarrier, removeContextCarrier, restoreCarriedContext } from '../../src/context/context-carrier.js';

const name = 'review.lateRun';

describe('restoreCarriedContext() with a restore that calls run after it returned', () => {
  afterEach(() => {
    removeContextCarrier(name);
  });

  it('fails the call at once, and the late run throws ContextCarrierError instead of running the task', async () => {
    let late: () => unknown = () => undefined;
    defineContextCarrier(name, {
      capture: () => undefined,
      restore: (_value, run) => {
        late = run; // kept for a later tick; restore returns without a promise for it
        return undefined;
      },
    });
    let runs = 0;
    expect(() => restoreCarriedContext({ [name]: 1 }, () => ++runs)).toThrow(ContextCarrierError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(() => late()).toThrow(ContextCarrierError);
    expect(runs).toBe(0);
  });

  it('fails the call when the promise restore returned settled without run, and a run after that throws too', async () => {
    let late: () => unknown = () => undefined;
    defineContextCarrier(name, {
      capture: () => undefined,
      restore: async (_value, run) => {
        late = run;
        await new Promise((resolve) => setImmediate(resolve));
        return 'restore says done';
      },
    });
    let runs = 0;
    await expect(Promise.resolve(restoreCarriedContext({ [name]: 1 }, () => ++runs))).rejects.toBeInstanceOf(ContextCarrierError);
    expect(() => late()).toThrow(ContextCarrierError);
    expect(runs).toBe(0);
  });
});
