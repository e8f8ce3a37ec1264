/**
 * An async generator object has `next` and `throw`, like a generator, but they return Promises and never
 * `{ done: true }`. Driven as a generator it was resumed for ever, synchronously: every entry point below froze
 * the process. Each must now end (a named error, or the object as the call's value) on its own.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';
import { ensureDeferred, inlineCallbacks } from '../../src/index.js';
import { isGenerator } from '../../src/deferred/is-generator.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';

async function* countTwo(): AsyncGenerator<number, number> {
  yield 1;
  return 2;
}

describe('an async generator object', () => {
  it('is not a generator', () => {
    expect(isGenerator(countTwo())).toBe(false);
    expect(isGenerator((function* () {})())).toBe(true);
  });

  it('ensureDeferred() throws TypeError for it (it is neither a thenable nor a generator)', () => {
    expect(() => ensureDeferred(countTwo() as never)).toThrow(TypeError);
  });

  it('inlineCallbacks() of an async generator function errbacks TypeError', () => {
    const call = inlineCallbacks(countTwo as unknown as () => Generator<unknown, number>);
    failureResultOf(call(), TypeError);
  });
});

describe('reactor paths given an async generator function', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it.each(['inline', 'green'] as const)('dispatch() on the %s route fires once with the object it returned', (route) => {
    reactor = new Reactor({ clock: new Clock(), policy: { default: route } });
    const d = reactor.dispatch(countTwo);
    reactor.hub.flush();
    expect(Object.prototype.toString.call(successResultOf(d))).toBe('[object AsyncGenerator]');
  });

  it('stream() on the inline route ends with the object as its result', () => {
    reactor = new Reactor({ clock: new Clock(), policy: { default: 'inline' } });
    const s = reactor.stream(countTwo);
    expect(Object.prototype.toString.call(successResultOf(s.result))).toBe('[object AsyncGenerator]');
  });
});
