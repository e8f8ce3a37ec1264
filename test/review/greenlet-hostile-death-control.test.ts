/**
 * Adversarial tests of a greenlet that dies by throwing a hostile value: a revoked Proxy (any property read throws)
 * or an object whose `code` getter throws. The hub reads the thrown value's `code` on its own path that ends the
 * greenlet (is it a `GreenletExit`?); that read must not throw, or the hub pass throws out of `flush()`, the greenlet's
 * Deferred never fires and `stop()` never ends (SPEC §6: every Deferred fires once; the brief: `stop()` always ends).
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';
import { defineTask } from '../../src/task/task.js';
import { readAll, settled } from '../threads/thread-test-kit.js';
import { revokedProxy, withThrowingCodeGetter } from '../helpers/hostile-values.js';

const hostile: Record<string, () => object> = { 'a revoked Proxy': revokedProxy, 'an object whose code getter throws': withThrowingCodeGetter };

/** What each greenlet threw, in order: a test compares its outcome with this value by identity. */
const thrownValues: object[] = [];

/** Parks once (so the death comes from a later hub pass, not the spawn), then throws the hostile value. */
function* diesHostile(kind: string): Generator<undefined, never> {
  yield undefined;
  const value = hostile[kind]!();
  thrownValues.push(value);
  throw value;
}

export const greenDiesHostile = defineTask(import.meta.url, 'greenDiesHostile', diesHostile, { route: 'green' });

describe('a greenlet that dies by throwing a hostile value', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it.each(Object.keys(hostile))('deferToGreenlet, thrown %s: flush() does not throw, the Deferred errbacks with that value, stop() ends', async (kind) => {
    reactor = new Reactor({ clock: new Clock() });
    thrownValues.length = 0;
    const d = reactor.deferToGreenlet(diesHostile, kind);
    const outcome = settled(d);
    expect(() => reactor.hub.flush()).not.toThrow();
    const ended = await outcome;
    expect(ended.ok).toBe(false);
    expect(thrownValues).toHaveLength(1);
    expect((ended as { error: unknown }).error === thrownValues[0]).toBe(true); // the value itself, as thrown
  });

  it.each(Object.keys(hostile))('reactor.stream() on the green route, thrown %s: result errbacks with that value and the iteration ends with it', async (kind) => {
    reactor = new Reactor({ clock: new Clock() });
    thrownValues.length = 0;
    const s = reactor.stream(greenDiesHostile, kind);
    const outcome = settled(s.result);
    const read = readAll(s);
    expect(() => reactor.hub.flush()).not.toThrow();
    const ended = await outcome;
    expect(ended.ok).toBe(false);
    const thrown = (ended as { error: unknown }).error;
    expect(thrown === thrownValues[0]).toBe(true);
    expect((await read).thrown === thrown).toBe(true);
  });
});
