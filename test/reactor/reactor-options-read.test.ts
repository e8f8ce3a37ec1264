/**
 * `new Reactor(options)` reads each option once and names the option whose read failed: an options object with
 * throwing getters, a revoked Proxy, or something that is not an object at all ends the constructor with a
 * `TypeError` (or, for `policy`, a `PolicyConfigError`) that says which option, never with the getter's own error.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { PolicyConfigError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import type { ReactorOptions } from '../../src/reactor/reactor-options.js';
import { Clock } from '../../src/time/clock.js';

const made: Reactor[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((r) => r.stop({ graceMs: 0 })));
});

/** Constructs and remembers the reactor, so that a test that unexpectedly constructs one still stops it. */
function construct(options: unknown): Reactor {
  const reactor = new Reactor(options as ReactorOptions);
  made.push(reactor);
  return reactor;
}

/** What the constructor threw, or a failure when it did not throw. */
function thrownBy(options: unknown): unknown {
  try {
    construct(options);
  } catch (error) {
    return error;
  }
  throw new Error('the constructor did not throw');
}

/** An options object whose `name` getter throws `boom`. */
function throwingGetter(name: string, boom: unknown): object {
  return Object.defineProperty({}, name, {
    enumerable: true,
    get(): never {
      throw boom;
    },
  });
}

describe('new Reactor(options): reading the options', () => {
  it('fails with PolicyConfigError, caused by what the getter threw, when reading `policy` throws', () => {
    const boom = new RangeError('policy getter broke');
    const error = thrownBy(throwingGetter('policy', boom));
    expect(error).toBeInstanceOf(PolicyConfigError);
    expect((error as PolicyConfigError).issues).toEqual([{ path: '', message: expect.stringContaining('policy getter broke') }]);
    expect((error as PolicyConfigError).message).toMatch(/option `policy` threw/);
    expect((error as Error).cause).toBe(boom);
  });

  it.each(['clock', 'onError', 'now', 'remote'])('fails with TypeError naming `%s` when reading it throws', (name) => {
    const boom = new RangeError(`${name} getter broke`);
    const error = thrownBy(throwingGetter(name, boom));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain(`option \`${name}\` threw: ${name} getter broke`);
    expect((error as Error).cause).toBe(boom);
  });

  it('describes a thrown value that is not an Error without reading anything from it', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const error = thrownBy(throwingGetter('clock', proxy));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/option `clock` threw/);
  });

  it.each([
    ['a backend whose `call` getter throws', () => throwingGetter('call', new RangeError('call getter broke'))],
    ['a revoked Proxy', () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    }],
  ])('fails with the TypeError for a bad `remote` when it is %s', (_label, remote) => {
    const error = thrownBy({ remote: remote() });
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/^Expected `remote` to be a RemoteBackend/);
  });

  it('fails with TypeError naming the first option read when the options are a revoked Proxy', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const error = thrownBy(proxy);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/Reading the Reactor option `clock` threw: .*revoked/);
  });

  it.each([
    ['null', null, 'null'],
    ['a number', 5, 'number'],
    ['a string', 'policy.json', 'string'],
  ])('fails with TypeError when the options are %s', (_label, options, type) => {
    const error = thrownBy(options);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe(`Expected the Reactor options to be an object, got \`${String(options)}\` (${type})`);
  });

  it('reads each known option exactly once, so the value it checked is the value it uses', () => {
    const reads = new Map<PropertyKey, number>();
    const target: ReactorOptions = { clock: new Clock(), onError: () => {}, now: () => 0, policy: { default: 'green' } };
    const counted = new Proxy(target, {
      get(t, key, receiver): unknown {
        reads.set(key, (reads.get(key) ?? 0) + 1);
        return Reflect.get(t, key, receiver) as unknown;
      },
    });
    construct(counted);
    expect(Object.fromEntries(reads)).toEqual({ clock: 1, onError: 1, now: 1, policy: 1, remote: 1 });
  });

  it('uses the `now` it checked even when a later read would give a value that fails the check', () => {
    let reads = 0;
    const flipping = {
      get now(): unknown {
        reads += 1;
        return reads === 1 ? () => 0 : 42;
      },
    };
    expect(() => construct(flipping)).not.toThrow();
    expect(reads).toBe(1);
  });
});
