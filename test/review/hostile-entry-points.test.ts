/**
 * Hostile values (a revoked Proxy, whose every trap throws; objects with throwing getters) at public entry points:
 * a dispatch method errbacks a named error and never throws; `Policy.load` and `new Reactor({ policy })` throw
 * `PolicyConfigError`, as for any invalid config.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { Policy } from '../../src/policy/policy.js';
import { Clock } from '../../src/time/clock.js';
import { PolicyConfigError } from '../../src/errors.js';
import { isTask, type Task } from '../../src/task/task.js';
import type { Deferred } from '../../src/deferred/deferred.js';
import { failureResultOf } from '../helpers/deferred-results.js';

function revokedProxy(): never {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy as never;
}

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
