/**
 * Adversarial tests of the validation messages of the thread path (`src/threads`) given hostile values: a revoked
 * Proxy, an object with no primitive conversion, a plain function whose `name` getter throws. Building the message
 * must never throw: `expose` throws its own `TypeError` naming the argument, and `deferToThread` /
 * `callMultipleInThread` errback with theirs (SPEC §3: bad input errbacks with a named error, never a crash).
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import { ExposedFunctions } from '../../src/threads/exposed-functions.js';
import type { Deferred } from '../../src/deferred/deferred.js';
import { failureOf } from '../threads/thread-test-kit.js';

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** A plain function whose `name` getter throws. */
function namelessFunction(): () => void {
  const f = (): void => undefined;
  Object.defineProperty(f, 'name', {
    get(): never {
      throw new RangeError('name getter broke');
    },
  });
  return f;
}

const hostile: Array<[string, () => unknown, string]> = [
  ['a revoked Proxy', revokedProxy, '`[object]` (object)'],
  ['an object with no primitive conversion', () => Object.create(null) as unknown, '`[object Object]` (object)'],
  [
    'an object whose toString throws',
    () => ({
      toString(): never {
        throw new RangeError('toString broke');
      },
    }),
    '`[object Object]` (object)',
  ],
];

describe('ExposedFunctions.expose() given a hostile name or function', () => {
  it.each(hostile)('%s as the name: throws TypeError naming `name` with the value described', (_kind, make, shown) => {
    expect(() => new ExposedFunctions().expose(make() as string, () => 1)).toThrow(`Expected \`name\` to be a non-empty string, got ${shown}`);
  });

  it.each(hostile)('%s as the function: throws TypeError naming `fn` with the value described', (_kind, make, shown) => {
    expect(() => new ExposedFunctions().expose('f', make() as () => unknown)).toThrow(`Expected \`fn\` to be a function, got ${shown}`);
  });
});

describe('ThreadPool given a plain function whose name getter throws', () => {
  let pool: ThreadPool;
  afterEach(async () => {
    await pool.close();
  });

  it('deferToThread errbacks TypeError saying how to define a task (it does not throw)', async () => {
    pool = new ThreadPool();
    let d: Deferred<unknown> | undefined;
    expect(() => {
      d = pool.runAlone(namelessFunction() as never, []);
    }).not.toThrow();
    const error = await failureOf(d!);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^deferToThread needs a Task, got a plain function \(anonymous\)/);
  });

  it('callMultipleInThread errbacks TypeError saying how to define a task (it does not throw)', async () => {
    pool = new ThreadPool();
    let d: Deferred<void> | undefined;
    expect(() => {
      d = pool.runCalls([[namelessFunction() as never]] as never);
    }).not.toThrow();
    const error = await failureOf(d!);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^callMultipleInThread needs a Task, got a plain function \(anonymous\)/);
  });
});
