/**
 * Adversarial tests of lazily imported tasks (`taskFrom`): references that form a cycle, and a module whose
 * evaluation throws a hostile value. Each call must errback TaskNotFoundError; none may wait for ever.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';
import { TaskNotFoundError } from '../../src/errors.js';
import { taskFrom } from '../../src/task/task.js';
import { importTaskFunction } from '../../src/task/import-task-function.js';

/** Exported under the name it refers to: its import finds itself. */
export const selfReferring = taskFrom(import.meta.url, 'selfReferring', { route: 'inline' });
/** Two `taskFrom` Tasks referring to each other. */
export const cycleA = taskFrom(import.meta.url, 'cycleB', { route: 'inline' });
export const cycleB = taskFrom(import.meta.url, 'cycleA', { route: 'green' });
/** A `taskFrom` Task referring on to another that refers to a function: followed to it. */
export const viaOther = taskFrom(import.meta.url, 'viaTarget', { route: 'inline' });
export const viaTarget = taskFrom(import.meta.url, 'plainDouble');
export const plainDouble = (n: number): number => n * 2;

const throwingModule = new URL('./fixtures/throws-null-prototype.ts', import.meta.url).href;

describe('importTaskFunction()', () => {
  it('rejects with TaskNotFoundError naming the cycle for a taskFrom exported under the name it refers to', async () => {
    const error = await importTaskFunction(import.meta.url, 'selfReferring').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskNotFoundError);
    expect((error as Error).message).toMatch(/refers to itself through taskFrom: .*#selfReferring -> .*#selfReferring/);
  });

  it('follows a chain of taskFrom references to the function', async () => {
    const fn = await importTaskFunction(import.meta.url, 'viaOther');
    expect(fn).toBe(plainDouble);
  });

  it('rejects with TaskNotFoundError when the module throws a value String() cannot convert', async () => {
    const error = await importTaskFunction(throwingModule, 'never').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskNotFoundError);
    expect((error as Error).message).toMatch(/Cannot import the module of task `never`.*\[object Object\]/);
  });
});

describe('reactor.dispatch() of a taskFrom Task whose references form a cycle', () => {
  let reactor: Reactor;
  afterEach(async () => {
    await reactor.stop({ graceMs: 0 });
  });

  it.each([
    ['exported under its own name (inline)', selfReferring],
    ['referring to one that refers back (inline)', cycleA],
    ['referring to one that refers back (green)', cycleB],
  ])('%s errbacks TaskNotFoundError', async (_name, task) => {
    reactor = new Reactor({ clock: new Clock() });
    const d = reactor.dispatch(task);
    reactor.hub.flush();
    await expect(d.asPromise()).rejects.toBeInstanceOf(TaskNotFoundError);
  });
});
