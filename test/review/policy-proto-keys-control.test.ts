/**
 * Adversarial tests of names that are `Object.prototype` members in a policy: a pool named `__proto__` (which zod
 * leaves out of a parsed record) is a named config error, never silently dropped; pools named `constructor` or
 * `toString` are ordinary pools; a rule or a task named `__proto__` is listed in `stats()` like any other.
 *
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { PolicyConfigError } from '../../src/errors.js';
import { Policy } from '../../src/policy/policy.js';
import type { PolicyConfig } from '../../src/policy/policy-schema.js';
import { Reactor } from '../../src/reactor/reactor.js';
import * as px from '../fixtures/policy-tasks.js';
import { built } from '../threads/thread-test-kit.js';

/** A config as JSON gives it: `__proto__` is an ordinary own key there. */
function fromJson(text: string): PolicyConfig {
  return JSON.parse(text) as PolicyConfig;
}

function configError(make: () => unknown): PolicyConfigError {
  try {
    make();
  } catch (error) {
    if (error instanceof PolicyConfigError) return error;
    throw error;
  }
  throw new Error('Expected a PolicyConfigError');
}

describe('a pool named __proto__', () => {
  it('is a PolicyConfigError at /pools/__proto__, from an object', () => {
    const error = configError(() => new Policy(fromJson('{ "pools": { "__proto__": { "maxThreads": 1 }, "ok": {} } }')));
    expect(error.issues).toEqual([{ path: '/pools/__proto__', message: expect.stringContaining('other than `__proto__`') }]);
  });

  it('is a PolicyConfigError at /pools/__proto__, from a computed key', () => {
    const error = configError(() => new Policy({ pools: { ['__proto__']: { maxThreads: 1 } } }));
    expect(error.issues.map((i) => i.path)).toEqual(['/pools/__proto__']);
  });

  it("is a PolicyConfigError naming the file, listed with the rule that names it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-proto-'));
    try {
      const file = join(dir, 'policy.json');
      writeFileSync(file, '{ "pools": { "__proto__": {} }, "rules": [{ "match": { "task": "x" }, "route": "thread", "pool": "__proto__" }] }');
      const error = configError(() => new Policy(file));
      expect(error.message).toContain(file);
      expect(error.issues.map((i) => i.path)).toEqual(['/pools/__proto__', '/rules/0/pool']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is refused by a reload: the config in force stays', () => {
    const policy = new Policy({ pools: { ok: {} } });
    expect(() => policy.update(fromJson('{ "pools": { "__proto__": {} } }'))).toThrow(PolicyConfigError);
    expect(Object.keys(policy.config.pools ?? {})).toEqual(['ok']);
  });
});

describe('pools named after Object members', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it.each(['constructor', 'toString', 'hasOwnProperty'])("run their rule's thread calls: a pool named %s", async (name) => {
    reactor = new Reactor({
      policy: fromJson(`{ "pools": { "${name}": { "maxThreads": 1 } }, "rules": [{ "match": { "task": "pause" }, "route": "thread", "pool": "${name}" }] }`),
    });
    await expect(reactor.dispatch(built(px.pause), 0).asPromise()).resolves.toBe(0);
    const pools = reactor.stats().pools ?? {};
    expect(Object.keys(pools)).toEqual([name]);
    expect(pools[name]?.completed).toBe(1);
    expect(reactor.stats().threads.completed).toBe(0);
  });
});

describe('a rule naming an Object member as its pool, with no such pool declared', () => {
  it.each(['constructor', 'toString'])('is a PolicyConfigError at /rules/0/pool: %s is not a declared pool', (name) => {
    const error = configError(() => new Policy({ pools: { other: {} }, rules: [{ match: { task: 'x' }, route: 'thread', pool: name }] }));
    expect(error.issues).toEqual([{ path: '/rules/0/pool', message: expect.stringContaining(`got \`${name}\` (declared: other)`) }]);
  });
});

describe('stats() with a rule or a task named __proto__', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it("lists a rule named __proto__'s bulkhead as an own key", async () => {
    reactor = new Reactor({ policy: fromJson('{ "rules": [{ "name": "__proto__", "match": { "task": "one" }, "route": "inline", "maxConcurrent": 1 }] }') });
    await reactor.dispatch(function one() {
      return 1;
    }).asPromise();
    const { bulkheads } = reactor.stats().policy;
    expect(Object.hasOwn(bulkheads, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(bulkheads)).toBe(Object.prototype);
    expect(bulkheads['__proto__']).toMatchObject({ maxConcurrent: 1, inFlight: 0, waiting: 0 });
  });

  it("lists what auto learned of a function named __proto__ as an own key", async () => {
    reactor = new Reactor({ policy: { default: 'auto' } });
    const fn = Object.defineProperty(() => 1, 'name', { value: '__proto__' });
    await reactor.dispatch(fn).asPromise();
    const { auto } = reactor.stats().policy;
    expect(Object.hasOwn(auto, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(auto)).toBe(Object.prototype);
  });
});
