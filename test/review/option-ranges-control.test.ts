/**
 * Absurd but finite numbers in a policy config or a task's options are refused where they are given, with the
 * option's path (`PolicyConfigError`) or the task's name (`RangeError`): one range per option (src/option-ranges.ts),
 * the same in `Policy.load`, the shipped JSON Schema and `defineTask`. Before, `retries: 1e308` re-ran a crashing task
 * for ever, `resourceLimits.stackSizeMb: 1e5` and `codeRangeSizeMb: 1e12` ended the process as the first worker
 * started, and `sampleSize: 2 ** 53` kept every run for ever.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { Policy } from '../../src/policy/policy.js';
import { policyJsonSchema } from '../../src/policy/policy-schema.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { defineTask } from '../../src/task/task.js';
import { PolicyConfigError } from '../../src/errors.js';
import type { OptionRange } from '../../src/option-ranges.js';
import * as ranges from '../../src/option-ranges.js';

/** Every bounded numeric option of a policy config: its JSON Pointer and its range. */
const policyOptions: Array<[string, OptionRange]> = [
  ['/rules/0/timeoutMs', ranges.durationMsRange],
  ['/rules/0/maxConcurrent', ranges.heldCountRange],
  ['/rules/0/streamWindow', ranges.heldCountRange],
  ['/threads/minThreads', ranges.threadCountRange],
  ['/threads/maxThreads', ranges.threadCountRange],
  ['/threads/idleTimeoutMs', ranges.durationMsRange],
  ['/threads/maxQueue', ranges.maxQueueRange],
  ['/threads/concurrentTasksPerWorker', ranges.threadCountRange],
  ['/threads/cancelGraceMs', ranges.durationMsRange],
  ['/threads/resourceLimits/maxOldGenerationSizeMb', ranges.heapMbRange],
  ['/threads/resourceLimits/maxYoungGenerationSizeMb', ranges.heapMbRange],
  ['/threads/resourceLimits/codeRangeSizeMb', ranges.heapMbRange],
  ['/threads/resourceLimits/stackSizeMb', ranges.stackMbRange],
  ['/threads/coalesce/maxBatch', ranges.heldCountRange],
  ['/threads/coalesce/maxArgBytes', ranges.argBytesRange],
  ['/threads/coalesce/flushMs', ranges.durationMsRange],
  ['/threads/recycle/maxTasks', ranges.lifetimeTaskCountRange],
  ['/threads/recycle/maxHeapMb', ranges.heapMbRange],
  ['/threads/recycle/maxAgeMs', ranges.durationMsRange],
  ['/green/sliceMs', ranges.durationMsRange],
  ['/green/blockingThresholdMs', ranges.durationMsRange],
  ['/green/maxGreenlets', ranges.heldCountRange],
  ['/adaptive/sampleSize', ranges.sampleCountRange],
  ['/adaptive/minThreadRunMs', ranges.durationMsRange],
  ['/adaptive/blockingThresholdMs', ranges.durationMsRange],
  ['/adaptive/crashBudget/crashes', ranges.crashCountRange],
  ['/adaptive/crashBudget/windowMs', ranges.durationMsRange],
  ['/pools/p/maxThreads', ranges.threadCountRange],
];

/** A config with `value` at `pointer` (and what the option needs beside it: a rule's match and route, a budget's). */
function configWith(pointer: string, value: number): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const keys = pointer.slice(1).split('/');
  let node: Record<string, unknown> = config;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) node[key] = value;
    else node = (node[key] ??= /^\d+$/.test(keys[i + 1]!) ? [] : {}) as Record<string, unknown>;
  });
  const rule = (config.rules as Array<Record<string, unknown>> | undefined)?.[0];
  if (rule !== undefined) Object.assign(rule, { match: {}, route: 'green' });
  const budget = (config.adaptive as { crashBudget?: Record<string, unknown> } | undefined)?.crashBudget;
  if (budget !== undefined) Object.assign(budget, { crashes: 1, windowMs: 1000, then: 'fail', ...budget });
  return config;
}

function issuesOf(config: Record<string, unknown>): Array<{ path: string; message: string }> {
  try {
    Policy.load(config);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyConfigError);
    return (error as PolicyConfigError).issues;
  }
  return [];
}

/** The JSON Schema node at a config pointer (through properties, items, additionalProperties and unions). */
function schemaAt(pointer: string): Record<string, unknown> {
  let node = policyJsonSchema() as Record<string, any>;
  for (const key of pointer.slice(1).split('/')) {
    const object = (node.anyOf as Array<Record<string, any>> | undefined)?.find((n) => n.type === 'object') ?? node;
    node = /^\d+$/.test(key) ? object.items : (object.properties?.[key] ?? object.additionalProperties);
  }
  return node;
}

describe('Policy.load with a numeric option out of its range', () => {
  it.each(policyOptions)('refuses %s past its greatest value with PolicyConfigError at that path', (pointer, range) => {
    const issues = issuesOf(configWith(pointer, range.max * 2 + 1));
    expect(issues).toEqual([{ path: pointer, message: expect.stringContaining(`at most ${range.max}`) }]);
  });

  it.each(policyOptions)('accepts %s at its greatest value', (pointer, range) => {
    expect(issuesOf(configWith(pointer, range.max))).toEqual([]);
  });

  it.each(policyOptions)('ships %s in the JSON Schema with the same greatest value', (pointer, range) => {
    expect(schemaAt(pointer)).toMatchObject({ maximum: range.max });
  });

  it.each([
    ['/rules/0/timeoutMs', 1e308],
    ['/rules/0/maxConcurrent', 1e9],
    ['/adaptive/sampleSize', 2 ** 53],
    ['/threads/resourceLimits/stackSizeMb', 1e5],
    ['/threads/resourceLimits/codeRangeSizeMb', 1e12],
    ['/threads/maxThreads', 2 ** 40],
  ])('new Reactor() refuses %s = %d with PolicyConfigError, before any worker starts', (pointer, value) => {
    expect(() => new Reactor({ policy: configWith(pointer, value) })).toThrow(PolicyConfigError);
  });

  it('refuses adaptive.blockingRunsToPin above sampleSize (those runs never fit the window that counts them)', () => {
    expect(issuesOf({ adaptive: { sampleSize: 5, blockingRunsToPin: 6 } })).toEqual([
      { path: '/adaptive/blockingRunsToPin', message: expect.stringContaining('at most `sampleSize`') },
    ]);
    expect(issuesOf({ adaptive: { blockingRunsToPin: 21 } })).toHaveLength(1); // the default sampleSize, 20
    expect(issuesOf({ adaptive: { sampleSize: 5, blockingRunsToPin: 5 } })).toEqual([]);
  });
});

describe('defineTask with a numeric option out of its range', () => {
  const fn = (): number => 1;

  it.each<[string, OptionRange, number]>([
    ['retries', ranges.retryCountRange, 1e308],
    ['timeoutMs', ranges.durationMsRange, 1e308],
    ['streamWindow', ranges.heldCountRange, 1e9],
  ])('refuses %s with a RangeError naming the task and the range', (option, range, value) => {
    expect(() => defineTask(import.meta.url, 'absurd', fn, { [option]: value })).toThrow(RangeError);
    expect(() => defineTask(import.meta.url, 'absurd', fn, { [option]: value })).toThrow(
      new RangeError(`Expected \`${option}\` of task \`absurd\` to be ${range.integer ? 'an integer' : 'a number'} from ${range.min} to ${range.max}, got \`${value}\` (number)`),
    );
  });

  it.each(['retries', 'timeoutMs', 'streamWindow'])('refuses %s given as a string with a TypeError', (option) => {
    expect(() => defineTask(import.meta.url, 'absurd', fn, { [option]: '1' })).toThrow(TypeError);
  });

  it.each([
    ['retries', ranges.retryCountRange.max],
    ['timeoutMs', ranges.durationMsRange.max],
    ['streamWindow', ranges.heldCountRange.max],
  ])('accepts %s at its greatest value (%d)', (option, value) => {
    expect(defineTask(import.meta.url, 'edge', fn, { [option]: value }).options).toMatchObject({ [option]: value });
  });

  it("has the same range for timeoutMs and streamWindow as a rule's", () => {
    expect(schemaAt('/rules/0/timeoutMs')).toMatchObject({ maximum: ranges.durationMsRange.max });
    expect(schemaAt('/rules/0/streamWindow')).toMatchObject({ maximum: ranges.heldCountRange.max });
  });
});
