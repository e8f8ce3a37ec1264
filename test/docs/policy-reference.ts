/**
 * Generates docs/policy-reference.md, the policy file's field reference, from the shipped JSON Schema
 * (policy.schema.json, itself written from `Policy.schema` by the build) and the library's default objects, so
 * the reference cannot drift from the code: test/docs/policy-reference.test.ts fails when the committed file
 * differs from what this renders.
 *
 * Regenerate after a schema or default change (after `npm run build`):
 * `npx tsx test/docs/policy-reference.ts --write`
 *
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultAdaptiveOptions, defaultHubOptions, defaultRoute, defaultThreadPoolOptions } from '../../src/index.js';

/** The part of a JSON Schema node the reference reads. */
export interface SchemaNode {
  type?: string;
  enum?: readonly string[];
  anyOf?: readonly SchemaNode[];
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  required?: readonly string[];
  minimum?: number;
  minLength?: number;
  minItems?: number;
  description?: string;
}

/** The repository's committed files the reference is made from and written to. */
export const schemaFile = fileURLToPath(new URL('../../policy.schema.json', import.meta.url));
export const referenceFile = fileURLToPath(new URL('../../docs/policy-reference.md', import.meta.url));

function shown(value: number | string): string {
  return value === Number.POSITIVE_INFINITY ? 'unbounded' : `\`${String(value)}\``;
}

/**
 * The default of each field, by dotted path: read from the library's default objects where they are constants,
 * in words where the library computes them (from the machine's CPU count) or where "absent" is the default.
 */
export function fieldDefaults(): Record<string, string> {
  const t = defaultThreadPoolOptions;
  return {
    default: shown(defaultRoute),
    'threads.minThreads': '`max(1, floor(availableParallelism() / 2))`, at most `maxThreads`',
    'threads.maxThreads': '`max(minThreads, availableParallelism())`',
    'threads.idleTimeoutMs': shown(t.idleTimeoutMs),
    'threads.maxQueue': shown(t.maxQueue),
    'threads.concurrentTasksPerWorker': shown(t.concurrentTasksPerWorker),
    'threads.resourceLimits': "Node's defaults",
    'threads.cancelGraceMs': shown(t.cancelGraceMs),
    'green.sliceMs': shown(defaultHubOptions.sliceMs),
    'green.blockingThresholdMs': shown(defaultHubOptions.blockingThresholdMs),
    'green.maxGreenlets': shown(defaultHubOptions.maxGreenlets),
    'adaptive.sampleSize': shown(defaultAdaptiveOptions.sampleSize),
    'adaptive.minThreadRunMs': shown(defaultAdaptiveOptions.minThreadRunMs),
    'adaptive.blockingThresholdMs': shown(defaultAdaptiveOptions.blockingThresholdMs),
    rules: '`[]`',
    'rules[].name': '`rules[i]` (its index)',
    'rules[].timeoutMs': "none (the task's own `timeoutMs` still applies)",
    'rules[].maxConcurrent': 'unbounded',
    'rules[].streamWindow': "the task's own `streamWindow`, else 16",
    'rules[].pool': "the reactor's pool (`threads`)",
    'rules[].coalesce': 'the pool\'s `threads.coalesce` (only `false` may be set)',
    pools: 'none',
  };
}

function typeOf(node: SchemaNode): string {
  if (node.anyOf !== undefined) return node.anyOf.map(typeOf).join(' or ');
  if (node.enum !== undefined) return node.enum.map((v) => `\`"${v}"\``).join(', ');
  if (node.type === 'array' && node.items !== undefined) {
    const of = node.items.type === 'object' ? 'objects' : typeOf(node.items);
    return `array of ${of}${node.minItems !== undefined ? ` (at least ${node.minItems})` : ''}`;
  }
  const bounds: string[] = [];
  if (node.minimum !== undefined) bounds.push(`≥ ${node.minimum}`);
  if (node.minLength !== undefined) bounds.push(`non-empty`);
  return [node.type ?? 'any', ...bounds].join(' ');
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

interface Row {
  path: string;
  node: SchemaNode;
  required: boolean;
}

/** Every field of the schema, depth first in schema order, with its dotted path (`rules[].match.task`). */
function fields(node: SchemaNode, prefix: string): Row[] {
  const rows: Row[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    if (key === '$schema') continue;
    const path = prefix === '' ? key : `${prefix}.${key}`;
    rows.push({ path, node: child, required: node.required?.includes(key) ?? false });
    if (child.properties !== undefined) rows.push(...fields(child, path));
    if (child.type === 'array' && child.items?.properties !== undefined) rows.push(...fields(child.items, `${path}[]`));
  }
  return rows;
}

/**
 * Renders the reference page.
 * @param schema - the policy JSON Schema.
 * @param defaults - each field's default, by dotted path (see {@link fieldDefaults}).
 * @returns the Markdown text of docs/policy-reference.md.
 */
export function renderPolicyReference(schema: SchemaNode, defaults: Record<string, string>): string {
  const rows = fields(schema, '');
  const unknown = Object.keys(defaults).filter((path) => !rows.some((row) => row.path === path));
  if (unknown.length > 0) throw new Error(`Defaults given for fields the schema does not have: ${unknown.join(', ')}`);
  const sections = new Map<string, Row[]>();
  for (const row of rows) {
    const top = row.path.split(/[.[]/)[0] ?? row.path;
    const section = row.path === top && row.node.properties === undefined && row.node.type !== 'array' ? '(top level)' : top;
    sections.set(section, [...(sections.get(section) ?? []), row]);
  }
  const out: string[] = [
    '# Policy file reference',
    '',
    '<!-- Generated from policy.schema.json and the library defaults by test/docs/policy-reference.ts;',
    '     do not edit by hand: run `npx tsx test/docs/policy-reference.ts --write` (a test checks it). -->',
    '',
    'Every field of a policy file (`PolicyConfig`), as `Policy.load` validates it. Every field is optional',
    'unless marked required; an unknown key is an error reported at its own path. Times are milliseconds.',
    'A default of — means the field has no default: when absent, that condition or limit does not apply.',
    'The JSON Schema ships as `greenreactor/policy.schema.json` (point `"$schema"` at it for editor completion).',
    'See [policies.md](policies.md) for how rules are matched and how `auto` learns.',
  ];
  for (const [section, sectionRows] of sections) {
    out.push('', `## ${section === '(top level)' ? 'Top level' : `\`${section}\``}`, '');
    const head = schema.properties?.[section];
    if (head?.description !== undefined && section !== '(top level)') out.push(head.description, '');
    out.push('| Field | Type | Default | Meaning |', '| --- | --- | --- | --- |');
    for (const { path, node, required } of sectionRows) {
      if (path === section && section !== '(top level)') continue;
      const type = node.type === 'object' && node.anyOf === undefined ? 'object' : typeOf(node);
      const fallback = required ? '**required**' : (defaults[path] ?? '—');
      out.push(`| \`${path}\` | ${cell(type)} | ${cell(fallback)} | ${cell(node.description ?? '')} |`);
    }
  }
  out.push('');
  return out.join('\n');
}

/** Renders the reference from the committed schema file and the library defaults. */
export function renderFromRepository(): string {
  return renderPolicyReference(JSON.parse(readFileSync(schemaFile, 'utf8')) as SchemaNode, fieldDefaults());
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  writeFileSync(referenceFile, renderFromRepository());
  console.log(`wrote ${referenceFile}`);
}
