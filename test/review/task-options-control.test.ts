/**
 * Adversarial tests of a task's options object (`defineTask`, `taskFrom`): read once, so a getter cannot hand the check
 * one value and the task another; an inherited option is kept as checked; anything that is not an options object, or
 * whose reading throws, is a TypeError naming the task — never a bare engine error.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { defineTask, taskFrom, type Task, type TaskOptions } from '../../src/task/task.js';

const fn = (n: number): number => n;
const makers: Array<[string, (options: unknown) => Task]> = [
  ['defineTask', (options) => defineTask(import.meta.url, 'probe', fn, options as TaskOptions)],
  ['taskFrom', (options) => taskFrom(import.meta.url, 'probe', options as TaskOptions)],
];

describe.each(makers)('%s options', (_maker, make) => {
  it('reads each option once and keeps the value it checked, though a getter would hand over another later', () => {
    const reads: Record<string, number> = {};
    const later = { kind: 'gpu', route: 'nowhere', timeoutMs: -1, retries: -1, streamWindow: 0 };
    const first = { kind: 'cpu', route: 'thread', timeoutMs: 50, retries: 2, streamWindow: 4 };
    const options = {};
    for (const key of Object.keys(first) as Array<keyof typeof first>) {
      Object.defineProperty(options, key, {
        enumerable: true,
        get: () => {
          reads[key] = (reads[key] ?? 0) + 1;
          return reads[key] === 1 ? first[key] : later[key];
        },
      });
    }
    const task = make(options);
    expect(task.options).toEqual(first);
    expect(reads).toEqual({ kind: 1, route: 1, timeoutMs: 1, retries: 1, streamWindow: 1 });
    expect(Object.isFrozen(task.options)).toBe(true);
  });

  it('keeps an inherited option it checked', () => {
    const task = make(Object.create({ kind: 'io', timeoutMs: 10 }) as TaskOptions);
    expect(task.options).toEqual({ kind: 'io', timeoutMs: 10 });
  });

  it.each<[string, unknown, string]>([
    ['null', null, 'got `null` (null)'],
    ['a string', 'cpu', 'got `cpu` (string)'],
    ['a number', 5, 'got `5` (number)'],
    ['an array', ['cpu'], 'got an array'],
    ['a function', () => 1, 'got `() => 1` (function)'],
  ])('throws a TypeError naming the task for %s', (_what, options, got) => {
    expect(() => make(options)).toThrow(TypeError);
    expect(() => make(options)).toThrow(`Expected \`options\` of task \`probe\` to be an object, ${got}`);
  });

  it.each<[string, () => unknown]>([
    [
      'a getter that throws',
      () => ({
        get timeoutMs(): number {
          throw new Error('boom');
        },
      }),
    ],
    [
      'a revoked Proxy',
      () => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      },
    ],
  ])('throws a TypeError naming the task when reading it throws: %s', (_what, options) => {
    expect(() => make(options())).toThrow(/^Reading the options of task `probe` threw: /);
    expect(() => make(options())).toThrow(TypeError);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a key in the wrong case', { timeoutMS: 50 }, 'Unknown option `timeoutMS` of task `probe`: did you mean `timeoutMs`?'],
    ['a misspelt key', { retires: 2 }, 'Unknown option `retires` of task `probe`: did you mean `retries`?'],
    ['a key like none', { priority: 1 }, 'Unknown option `priority` of task `probe`: a task has kind, route, timeoutMs, retries, transfer, streamWindow'],
  ])('throws a TypeError for %s (a typo would otherwise do nothing), saying what it may have meant', (_what, options, message) => {
    expect(() => make({ kind: 'cpu', ...options })).toThrow(TypeError);
    expect(() => make({ kind: 'cpu', ...options })).toThrow(message);
  });

  it("takes another task's options as they are (only known keys)", () => {
    const first = make({ kind: 'io', timeoutMs: 5 });
    expect(make(first.options).options).toEqual({ kind: 'io', timeoutMs: 5 });
  });
});
