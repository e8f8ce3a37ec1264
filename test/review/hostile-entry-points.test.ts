/**
 * Hostile values (a revoked Proxy, whose every trap throws; objects with throwing getters) at public entry points:
 * a dispatch method errbacks a named error and never throws; `Policy.load` and `new Reactor({ policy })` throw
 * `PolicyConfigError`, as for any invalid config; `defineTask`/`taskFrom` and the reactor's synchronous methods throw
 * their named `TypeError` (or `RangeError`), whose message describes the value without asking it anything (a value
 * with a `toString` that throws, or none at all, is still described).
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { Policy } from '../../src/policy/policy.js';
import { Clock } from '../../src/time/clock.js';
import { PolicyConfigError } from '../../src/errors.js';
import { defineTask, isTask, taskFrom, type Task, type TaskOptions } from '../../src/task/task.js';
import type { Deferred } from '../../src/deferred/deferred.js';
import { failureResultOf } from '../helpers/deferred-results.js';
import { revokedProxy as revokedObject } from '../helpers/hostile-values.js';

/** A revoked Proxy, typed to pass where any argument is expected. */
const revokedProxy = (): never => revokedObject() as never;

/** A revoked Proxy, typed as what the entry points take. */
function revokedTask(): Task<[], unknown> {
  return revokedProxy();
}

/** An object whose enumerable property `key` throws when read. */
function throwingGetter(key: string): never {
  return Object.defineProperty({}, key, {
    enumerable: true,
    get(): never {
      throw new RangeError(`getter ${key} broke`);
    },
  }) as never;
}

describe('a revoked Proxy given as the task', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it('is not a Task (isTask answers false instead of throwing)', () => {
    reactor = new Reactor({ clock: new Clock() });
    expect(isTask(revokedProxy())).toBe(false);
  });

  it.each<[string, (r: Reactor) => Deferred<unknown>]>([
    ['deferToThread', (r) => r.deferToThread(revokedTask())],
    ['deferToGreenlet', (r) => r.deferToGreenlet(revokedTask())],
    ['dispatch', (r) => r.dispatch(revokedTask())],
    ['callMultipleInThread', (r) => r.callMultipleInThread([[revokedTask()]])],
  ])('%s errbacks TypeError and does not throw', (_name, call) => {
    reactor = new Reactor({ clock: new Clock() });
    let d: Deferred<unknown> | undefined;
    expect(() => {
      d = call(reactor);
    }).not.toThrow();
    failureResultOf(d!, TypeError);
  });

  it('stream() gives a stream whose result errbacks TypeError', () => {
    reactor = new Reactor({ clock: new Clock() });
    failureResultOf(reactor.stream(revokedTask()).result, TypeError);
  });
});

describe('Policy.load() of a config that throws when read', () => {
  it.each<[string, () => never]>([
    ['a revoked Proxy', revokedProxy],
    ['a throwing `rules` getter', () => throwingGetter('rules')],
    ['a rule whose `match` has a throwing `task` getter', () => ({ rules: [{ match: throwingGetter('task'), route: 'green' }] }) as never],
  ])('with %s throws PolicyConfigError with one issue at the root', (_name, make) => {
    let error: unknown;
    try {
      Policy.load(make());
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PolicyConfigError);
    expect((error as PolicyConfigError).issues).toEqual([{ path: '', message: expect.stringMatching(/could not be read/) }]);
  });

  it('new Reactor({ policy }) with a revoked Proxy throws PolicyConfigError', () => {
    expect(() => new Reactor({ clock: new Clock(), policy: revokedProxy() })).toThrow(PolicyConfigError);
  });
});

/** Values that `String()` cannot convert: a `toString` that throws, and no `toString` at all. */
const unprintable: Array<[string, () => unknown]> = [
  ['a toString that throws', () => ({ toString: (): never => { throw new Error('toString threw'); } })],
  ['no prototype', () => Object.create(null) as unknown],
];

describe.each(unprintable)('a value with %s given to a task definition', (_what, value) => {
  const fn = (): number => 1;
  it.each<[string, () => unknown]>([
    ['defineTask kind', () => defineTask(import.meta.url, 'probe', fn, { kind: value() } as TaskOptions)],
    ['defineTask route', () => defineTask(import.meta.url, 'probe', fn, { route: value() } as TaskOptions)],
    ['defineTask timeoutMs', () => defineTask(import.meta.url, 'probe', fn, { timeoutMs: value() } as TaskOptions)],
    ['defineTask retries', () => defineTask(import.meta.url, 'probe', fn, { retries: value() } as TaskOptions)],
    ['defineTask streamWindow', () => defineTask(import.meta.url, 'probe', fn, { streamWindow: value() } as TaskOptions)],
    ['taskFrom timeoutMs', () => taskFrom(import.meta.url, 'probe', { timeoutMs: value() } as TaskOptions)],
  ])('%s: TypeError naming the task and the option', (what, make) => {
    expect(make).toThrow(TypeError);
    expect(make).toThrow(new RegExp(`\`${what.split(' ')[1]!}\` of task \`probe\``));
  });

  it.each<[string, () => unknown]>([
    ['defineTask exportName', () => defineTask(import.meta.url, value() as string, fn)],
    ['taskFrom exportName', () => taskFrom(import.meta.url, value() as string)],
    ['defineTask moduleUrl', () => defineTask(value() as string, 'probe', fn)],
    ['taskFrom moduleUrl', () => taskFrom(value() as string, 'probe')],
  ])('%s: TypeError saying what was expected', (what, make) => {
    expect(make).toThrow(TypeError);
    expect(make).toThrow(new RegExp(`Expected \`${what.split(' ')[1]!}\``));
  });
});

describe('a revoked Proxy given as a task module URL', () => {
  it.each<[string, () => unknown]>([
    ['defineTask', () => defineTask(revokedProxy(), 'probe', () => 1)],
    ['taskFrom', () => taskFrom(revokedProxy(), 'probe')],
  ])('%s: TypeError saying what was expected', (_what, make) => {
    expect(make).toThrow(/Expected `moduleUrl` to be a URL or an absolute path/);
  });
});

describe.each(unprintable)("a value with %s given to the reactor's synchronous methods", (_what, value) => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it.each<[string, (r: Reactor) => unknown, RegExp]>([
    ['callLater fn', (r) => r.callLater(1, value() as () => void), /Expected `fn` to be a function/],
    ['callWhenRunning fn', (r) => r.callWhenRunning(value() as () => void), /Expected `fn` to be a function/],
    ['addSystemEventTrigger phase', (r) => r.addSystemEventTrigger(value() as 'before', 'shutdown', () => undefined), /Expected `phase`/],
    ['addSystemEventTrigger event', (r) => r.addSystemEventTrigger('before', value() as 'shutdown', () => undefined), /Expected `event`/],
    ['addSystemEventTrigger fn', (r) => r.addSystemEventTrigger('before', 'shutdown', value() as () => void), /Expected `fn` to be a function/],
    ['removeSystemEventTrigger id', (r) => r.removeSystemEventTrigger(value() as never), /Expected `id`/],
  ])('%s: TypeError saying what was expected', (_method, call, message) => {
    reactor = new Reactor({ clock: new Clock() });
    expect(() => call(reactor)).toThrow(TypeError);
    expect(() => call(reactor)).toThrow(message);
  });

  it('new Reactor({ onError }): TypeError saying what was expected', () => {
    reactor = new Reactor({ clock: new Clock() });
    expect(() => new Reactor({ onError: value() as never })).toThrow(/Expected `onError` to be a function/);
  });
});
