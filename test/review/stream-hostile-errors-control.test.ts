/**
 * Adversarial tests of how an in-process stream (`reactor.stream` on the inline route) ends when its task
 * fails with a hostile value: a revoked Proxy, or an object whose `code` getter throws. Reading whether the stream
 * ended by a cancel or a timeout (its error's `code`) must not throw from the stream's own error path: the stream's
 * `result` still errbacks with that value and its iteration still ends (SPEC §9: every Deferred fires once).
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

function throwsHostile(kind: string): never {
  throw hostile[kind]!();
}

export const inlineThrowsHostile = defineTask(import.meta.url, 'inlineThrowsHostile', throwsHostile, { route: 'inline' });

describe('reactor.stream() in-process, a task failing with a hostile value', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  // (The green route: test/review/greenlet-hostile-death-control.test.ts.)
  it.each(Object.keys(hostile))('on the inline route, thrown %s: result errbacks with that value and the iteration ends with it', async (kind) => {
    reactor = new Reactor({ clock: new Clock() });
    const s = reactor.stream(inlineThrowsHostile, kind);
    const outcome = settled(s.result);
    const read = readAll(s);
    reactor.hub.flush();
    const ended = await outcome;
    expect(ended.ok).toBe(false);
    const thrown = (ended as { error: unknown }).error;
    expect(typeof thrown).toBe('object');
    expect((await read).thrown).toBe(thrown);
  });
});
