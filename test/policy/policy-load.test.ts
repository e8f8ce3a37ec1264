import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Policy } from '../../src/policy/policy.js';
import { policyJsonSchema, type PolicyConfig } from '../../src/policy/policy-schema.js';
import type { PolicyConfigIssue } from '../../src/errors.js';

function issuesOf(config: unknown): PolicyConfigIssue[] {
  try {
    Policy.load(config as PolicyConfig);
  } catch (error) {
    expect((error as { code?: string }).code).toBe('ERR_POLICY_CONFIG');
    expect((error as Error).name).toBe('PolicyConfigError');
    return (error as { issues: PolicyConfigIssue[] }).issues;
  }
  throw new Error('expected Policy.load to throw');
}

const paths = (config: unknown): string[] => issuesOf(config).map((i) => i.path);

describe('Policy.load()', () => {
  describe('with a valid config object', () => {
    it('accepts the empty config', () => {
      expect(Policy.load({}).config).toEqual({});
    });

    it('accepts every section of SPEC §7', () => {
      const config: PolicyConfig = {
        default: 'thread',
        threads: {
          minThreads: 1,
          maxThreads: 4,
          idleTimeoutMs: 1000,
          maxQueue: 0,
          concurrentTasksPerWorker: 2,
          resourceLimits: { maxOldGenerationSizeMb: 64 },
          cancelGraceMs: 500,
        },
        green: { sliceMs: 4, blockingThresholdMs: 20, maxGreenlets: 1000 },
        adaptive: { sampleSize: 10, minThreadRunMs: 0.5, blockingThresholdMs: 25, blockingRunsToPin: 2 },
        rules: [
          {
            name: 'images',
            match: { task: 'resize*', kind: ['cpu', 'blocking'], argBytes: { gte: 1024 }, threadQueue: { lt: 10 }, loopDelayMs: { lte: 50 } },
            route: 'thread',
            timeoutMs: 5000,
          },
          { match: { kind: 'io' }, route: 'green' },
        ],
      };
      expect(Policy.load(config).config).toEqual(config);
    });

    it('freezes the config it keeps', () => {
      const policy = Policy.load({ rules: [{ match: {}, route: 'inline' }] });
      expect(Object.isFrozen(policy.config)).toBe(true);
      expect(Object.isFrozen(policy.config.rules?.[0]?.match)).toBe(true);
    });
  });

  describe('with an invalid config', () => {
    it.each<[string, unknown, string[]]>([
      ['an unknown top-level key at its own path', { extra: 1 }, ['/extra']],
      ['every unknown key of one object, each at its own path', { threads: { a: 1, b: 2 } }, ['/threads/a', '/threads/b']],
      ['an unknown key inside a rule match', { rules: [{ match: { name: 'x' }, route: 'thread' }] }, ['/rules/0/match/name']],
      ['an unknown resource limit', { threads: { resourceLimits: { heap: 1 } } }, ['/threads/resourceLimits/heap']],
      ['a default that is not a route', { default: 'fast' }, ['/default']],
      ['maxThreads of 0', { threads: { maxThreads: 0 } }, ['/threads/maxThreads']],
      ['a fractional minThreads', { threads: { minThreads: 1.5 } }, ['/threads/minThreads']],
      ['concurrentTasksPerWorker of 0', { threads: { concurrentTasksPerWorker: 0 } }, ['/threads/concurrentTasksPerWorker']],
      ['minThreads above maxThreads', { threads: { minThreads: 4, maxThreads: 2 } }, ['/threads/minThreads']],
      ['a negative idleTimeoutMs', { threads: { idleTimeoutMs: -1 } }, ['/threads/idleTimeoutMs']],
      ['a negative maxQueue', { threads: { maxQueue: -1 } }, ['/threads/maxQueue']],
      ['a string where a number belongs', { green: { sliceMs: '4' } }, ['/green/sliceMs']],
      ['maxGreenlets of 0', { green: { maxGreenlets: 0 } }, ['/green/maxGreenlets']],
      ['a sampleSize of 0', { adaptive: { sampleSize: 0 } }, ['/adaptive/sampleSize']],
      ['a negative minThreadRunMs', { adaptive: { minThreadRunMs: -0.1 } }, ['/adaptive/minThreadRunMs']],
      ['a blockingRunsToPin of 0', { adaptive: { blockingRunsToPin: 0 } }, ['/adaptive/blockingRunsToPin']],
      ['a fractional blockingRunsToPin', { adaptive: { blockingRunsToPin: 1.5 } }, ['/adaptive/blockingRunsToPin']],
      ['rules that are not an array', { rules: {} }, ['/rules']],
      ['a rule that is not an object', { rules: [5] }, ['/rules/0']],
      ['a rule without a route', { rules: [{ match: {} }] }, ['/rules/0/route']],
      ['a rule without a match', { rules: [{ route: 'thread' }] }, ['/rules/0/match']],
      ['a rule with an unknown route', { rules: [{ match: {}, route: 'gpu' }] }, ['/rules/0/route']],
      ['a negative rule timeoutMs', { rules: [{ match: {}, route: 'thread', timeoutMs: -5 }] }, ['/rules/0/timeoutMs']],
      ['an empty rule name', { rules: [{ name: '', match: {}, route: 'thread' }] }, ['/rules/0/name']],
      ['an unbalanced glob', { rules: [{ match: { task: 'resize[' }, route: 'thread' }] }, ['/rules/0/match/task']],
      ['a glob that can never match', { rules: [{ match: { task: 'x\\' }, route: 'thread' }] }, ['/rules/0/match/task']],
      ['an empty glob', { rules: [{ match: { task: '' }, route: 'thread' }] }, ['/rules/0/match/task']],
      ['an unknown kind', { rules: [{ match: { kind: 'gpu' }, route: 'thread' }] }, ['/rules/0/match/kind']],
      ['an unknown kind inside a kind list, at its index', { rules: [{ match: { kind: ['cpu', 'gpu'] }, route: 'thread' }] }, ['/rules/0/match/kind/1']],
      ['an empty kind list', { rules: [{ match: { kind: [] }, route: 'thread' }] }, ['/rules/0/match/kind']],
      ['a range bound below 0', { rules: [{ match: { argBytes: { gt: -1 } }, route: 'thread' }] }, ['/rules/0/match/argBytes/gt']],
      ['an unknown range bound', { rules: [{ match: { threadQueue: { above: 1 } }, route: 'thread' }] }, ['/rules/0/match/threadQueue/above']],
      ['a range no value satisfies', { rules: [{ match: { loopDelayMs: { gt: 10, lt: 5 } }, route: 'thread' }] }, ['/rules/0/match/loopDelayMs']],
      ['an empty open range', { rules: [{ match: { argBytes: { gt: 5, lte: 5 } }, route: 'thread' }] }, ['/rules/0/match/argBytes']],
      ['a config that is not an object', 42, ['']],
      ['null', null, ['']],
      ['an array', [], ['']],
      ['a crash budget of no crashes, a negative window and an unknown fallback', { adaptive: { crashBudget: { crashes: 0, windowMs: -1, then: 'retry' } } }, [
        '/adaptive/crashBudget/crashes',
        '/adaptive/crashBudget/windowMs',
        '/adaptive/crashBudget/then',
      ]],
      ['a crash budget without its window', { adaptive: { crashBudget: { crashes: 3, then: 'fail' } } }, ['/adaptive/crashBudget/windowMs']],
    ])('reports %s', (_what, config, expected) => {
      expect(paths(config)).toEqual(expected);
    });

    it('lists every problem of a config in one error', () => {
      const all = paths({
        extra: true,
        default: 'x',
        threads: { maxThreads: 0 },
        rules: [{ match: { task: '[' }, route: 'nope' }],
      });
      expect(new Set(all)).toEqual(new Set(['/extra', '/default', '/threads/maxThreads', '/rules/0/match/task', '/rules/0/route']));
    });

    it('accepts a range whose closed bounds meet', () => {
      expect(() => Policy.load({ rules: [{ match: { argBytes: { gte: 5, lte: 5 } }, route: 'thread' }] })).not.toThrow();
    });

    it('says what was expected and what it got, in the house form', () => {
      expect(issuesOf({ threads: { maxThreads: 0 } })).toEqual([
        { path: '/threads/maxThreads', message: 'Expected `maxThreads` to be a positive integer, got `0` (number)' },
      ]);
    });

    it('names the allowed keys when a key is unknown', () => {
      expect(issuesOf({ green: { slice: 1 } })[0]?.message).toBe(
        'Unknown key `slice` in `green`; expected one of `sliceMs`, `blockingThresholdMs`, `maxGreenlets`',
      );
    });

    it('says a required key is missing', () => {
      expect(issuesOf({ rules: [{ match: {} }] })[0]?.message).toBe('Missing required key `route`');
    });

    it('quotes the glob and the matcher’s complaint', () => {
      expect(issuesOf({ rules: [{ match: { task: 'a(' }, route: 'thread' }] })[0]?.message).toMatch(/^Expected `task` to be a valid glob, got `a\(`: groups and extglobs .* are not supported, at position 2/);
    });

    it('escapes `/` and `~` in JSON Pointer paths', () => {
      expect(paths({ 'a/b~c': 1 })).toEqual(['/a~1b~0c']);
    });

    it('puts every issue in the error message too', () => {
      try {
        Policy.load({ default: 'x', extra: 1 } as never);
      } catch (error) {
        expect((error as Error).message).toContain('/default:');
        expect((error as Error).message).toContain('/extra:');
        return;
      }
      throw new Error('expected a throw');
    });
  });

  describe('with a file', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'greenreactor-policy-'));
    });
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const file = (name: string, text: string): string => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };

    it('reads and validates a JSON file and remembers its path', () => {
      const path = file('ok.json', JSON.stringify({ default: 'green' }));
      const policy = Policy.load(path);
      expect(policy.config).toEqual({ default: 'green' });
      expect(policy.source).toBe(path);
    });

    it('accepts a `$schema` key for editors', () => {
      expect(() => Policy.load(file('schema.json', '{ "$schema": "./policy.schema.json" }'))).not.toThrow();
    });

    it('gives one issue at path "" for a missing file', () => {
      const issues = issuesOf(join(dir, 'missing.json'));
      expect(issues).toHaveLength(1);
      expect(issues[0]?.path).toBe('');
      expect(issues[0]?.message).toContain('ENOENT');
    });

    it('gives one issue at path "" for an empty file', () => {
      expect(issuesOf(file('empty.json', '  \n'))).toEqual([{ path: '', message: `Policy file ${join(dir, 'empty.json')} is empty; expected a JSON object` }]);
    });

    it('gives one issue at path "" for malformed JSON', () => {
      const issues = issuesOf(file('bad.json', '{ "default": '));
      expect(issues.map((i) => i.path)).toEqual(['']);
      expect(issues[0]?.message).toMatch(/^Cannot parse policy file .*bad\.json as JSON/);
    });

    it('reports every schema problem of a file with its path', () => {
      expect(paths(file('invalid.json', '{ "extra": 1, "threads": { "maxThreads": 0 } }'))).toEqual(['/threads/maxThreads', '/extra']);
    });
  });
});

describe('Policy.load() with bulkheads', () => {
  it('takes named pools and rules with pool and maxConcurrent', () => {
    const config = { pools: { images: { maxThreads: 2, maxQueue: 10 } }, rules: [{ match: { task: 'resize*' }, route: 'thread' as const, pool: 'images', maxConcurrent: 4 }] };
    expect(Policy.load(config).config).toEqual(config);
  });

  it('reports a pool no rule can use and a maxConcurrent below 1, each at its own path', () => {
    expect(() =>
      Policy.load({
        pools: { images: { maxThreads: 0 } },
        rules: [
          { match: {}, route: 'thread', pool: 'videos' },
          { match: {}, route: 'green', pool: 'images' },
          { match: {}, route: 'green', maxConcurrent: 0 },
        ],
      }),
    ).toThrow(
      expect.objectContaining({
        issues: [
          { path: '/pools/images/maxThreads', message: 'Expected `maxThreads` to be a number >= 1, got `0` (number)' },
          { path: '/rules/2/maxConcurrent', message: 'Expected `maxConcurrent` to be a positive integer, got `0` (number)' },
          { path: '/rules/0/pool', message: 'Expected `pool` to name a pool under `pools`, got `videos` (declared: images)' },
          { path: '/rules/1/pool', message: "A `pool` is a thread pool: it needs route 'thread' or 'auto', got 'green'" },
        ],
      }),
    );
  });
});

describe('Policy.load() of a pool with an empty name', () => {
  it('reports it at its own path in the house form', () => {
    expect(() => Policy.load({ pools: { '': { maxThreads: 1 } } })).toThrow(
      expect.objectContaining({ issues: [{ path: '/pools/', message: 'Expected each key of `pools` to be a non-empty string, got `""`' }] }),
    );
  });
});

describe('Policy.schema', () => {
  it('is a JSON Schema of a strict object with every section', () => {
    const schema = Policy.schema as { type: string; additionalProperties: boolean; properties: Record<string, unknown> };
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(['$schema', 'default', 'threads', 'green', 'adaptive', 'pools', 'context', 'rules']);
  });

  it('equals the shipped policy.schema.json', () => {
    const shipped: unknown = JSON.parse(readFileSync(new URL('../../policy.schema.json', import.meta.url), 'utf8'));
    expect(shipped).toEqual(policyJsonSchema());
    expect(shipped).toEqual(Policy.schema);
  });
});
