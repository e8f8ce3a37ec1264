import { describe, it, expect } from '@jest/globals';
import { Policy } from '../../src/policy/policy.js';
import { resolvePolicyOption, policyFromEnvironment } from '../../src/policy/resolve-policy-option.js';

describe('resolvePolicyOption()', () => {
  it('gives the default policy for nothing', () => {
    const policy = resolvePolicyOption(undefined);
    expect(policy.config).toEqual({});
    expect(policy.stats().default).toBe('auto');
  });

  it('loads a config object', () => {
    expect(resolvePolicyOption({ default: 'green' }).config).toEqual({ default: 'green' });
  });

  it('uses a Policy as it is', () => {
    const policy = new Policy({ default: 'inline' });
    expect(resolvePolicyOption(policy)).toBe(policy);
  });

  it('throws PolicyConfigError for an invalid config', () => {
    expect(() => resolvePolicyOption({ default: 'x' } as never)).toThrow(expect.objectContaining({ code: 'ERR_POLICY_CONFIG' }));
  });
});

describe('policyFromEnvironment()', () => {
  it('reads GREENREACTOR_POLICY', () => {
    expect(policyFromEnvironment({ GREENREACTOR_POLICY: '/etc/policy.json' })).toBe('/etc/policy.json');
  });

  it.each([[{}], [{ GREENREACTOR_POLICY: '' }], [{ GREENREACTOR_POLICY: '  ' }]])('gives nothing for %j', (env) => {
    expect(policyFromEnvironment(env)).toBeUndefined();
  });
});
