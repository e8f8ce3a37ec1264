/**
 * Adversarial tests of a rule matching on `argBytes` (SPEC §7) given arguments that are the user's own: a revoked
 * Proxy (whose prototype cannot be read: `instanceof` throws), a Proxy whose traps throw, a getter that throws, binary data from another
 * realm (`instanceof ArrayBuffer` is false for it). The estimate uses brand checks, never the user's traps: a call
 * is routed, never crashed, and another realm's bytes weigh what they weigh.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { runInNewContext } from 'node:vm';
import { estimateArgBytes } from '../../src/policy/arg-bytes.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask } from '../../src/task/task.js';
import { settled } from '../threads/thread-test-kit.js';
import { proxyWithThrowingTraps, revokedProxy } from '../helpers/hostile-values.js';

export const sized = defineTask(import.meta.url, 'sized', (..._args: unknown[]) => 'ran');

const hostile: Array<[string, () => unknown]> = [
  ['a revoked Proxy', revokedProxy],
  ['a Proxy whose every trap throws', proxyWithThrowingTraps],
  ['an array holding a revoked Proxy', () => [revokedProxy()]],
  ['a plain object holding a Proxy whose traps throw', () => ({ a: proxyWithThrowingTraps() })],
  [
    'a plain object whose getter throws',
    () => ({
      get a(): never {
        throw new Error('getter ran');
      },
    }),
  ],
];

describe('estimateArgBytes()', () => {
  it.each(hostile)('counts %s as 0 bytes, running none of its traps or getters, without throwing', (_, make) => {
    expect(estimateArgBytes([make()])).toBe(0);
  });

  it.each<[string, string, number]>([
    ['an ArrayBuffer', 'new ArrayBuffer(4096)', 4096],
    ['a SharedArrayBuffer', 'new SharedArrayBuffer(2048)', 2048],
    ['a typed array', 'new Uint8Array(1024)', 1024],
    ['an array of ArrayBuffers', '[new ArrayBuffer(100), new ArrayBuffer(200)]', 300],
    ['a plain object of ArrayBuffers', '({ a: new ArrayBuffer(100), b: "xy" })', 102],
  ])('counts %s from another realm by its size, as one of this realm', (_, source, bytes) => {
    expect(estimateArgBytes([runInNewContext(source)])).toBe(bytes);
  });
});

describe('Reactor.dispatch() through a rule matching on argBytes', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  const bigArgs = { rules: [{ name: 'big', match: { task: 'sized', argBytes: { gte: 1 } }, route: 'green' as const }], default: 'inline' as const };

  it.each(hostile)('with %s as an argument: dispatch decides the call and runs it (no throw)', async (_, make) => {
    reactor = new Reactor({ policy: bigArgs });
    let d: ReturnType<Reactor['dispatch']> | undefined;
    expect(() => (d = reactor.dispatch(sized, make()))).not.toThrow();
    expect(await settled(d!)).toEqual({ ok: true, value: 'ran' });
  });

  it.each(hostile)('with %s as an argument: explain() gives the decision (no throw)', (_, make) => {
    reactor = new Reactor({ policy: bigArgs });
    expect(reactor.explain(sized, make()).route).toBe('inline');
  });

  it("with another realm's 1 MB ArrayBuffer: the rule for big arguments matches it", () => {
    reactor = new Reactor({ policy: { rules: [{ name: 'big', match: { task: 'sized', argBytes: { gte: 1024 } }, route: 'green' }], default: 'inline' } });
    expect(reactor.explain(sized, runInNewContext('new ArrayBuffer(1048576)')).rule).toBe('big');
  });
});
