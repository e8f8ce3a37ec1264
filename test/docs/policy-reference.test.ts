import { describe, it, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { Policy } from '../../src/index.js';
import { fieldDefaults, referenceFile, renderFromRepository, renderPolicyReference, schemaFile, type SchemaNode } from './policy-reference.js';

describe('docs/policy-reference.md', () => {
  it('is exactly what the generator renders from policy.schema.json and the library defaults', () => {
    expect(readFileSync(referenceFile, 'utf8')).toBe(renderFromRepository());
  });

  it('is made from the same schema Policy.schema exposes', () => {
    expect(JSON.parse(readFileSync(schemaFile, 'utf8'))).toEqual(JSON.parse(JSON.stringify(Policy.schema)));
  });

  it('lists every field of the schema', () => {
    const page = readFileSync(referenceFile, 'utf8');
    for (const field of ['default', 'threads.maxQueue', 'threads.cancelGraceMs', 'green.sliceMs', 'adaptive.minThreadRunMs', 'rules[].match.loopDelayMs.lte', 'rules[].timeoutMs']) {
      expect(page).toContain(`| \`${field}\` |`);
    }
  });

  it('refuses a default for a field the schema does not have (a renamed field cannot keep a stale default)', () => {
    const schema: SchemaNode = { type: 'object', properties: { default: { type: 'string' } } };
    expect(() => renderPolicyReference(schema, { ...fieldDefaults() })).toThrow('threads.minThreads');
  });

  it('marks the fields the schema requires as required', () => {
    const schema: SchemaNode = { type: 'object', properties: { a: { type: 'object', required: ['b'], properties: { b: { type: 'number' }, c: { type: 'number' } } } } };
    const page = renderPolicyReference(schema, { 'a.c': '`3`' });
    expect(page).toContain('| `a.b` | number | **required** |');
    expect(page).toContain('| `a.c` | number | `3` |');
  });
});
