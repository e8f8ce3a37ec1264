import { describe, expect, it } from '@jest/globals';
import { pathToFileURL } from 'node:url';
import { defineTask, isTask, taskFrom } from '../../src/task/task.js';

describe('defineTask', () => {
  it('names the task after its export and keeps the module URL', () => {
    const task = defineTask(import.meta.url, 'double', (n: number) => n * 2, { kind: 'cpu' });
    expect(task.name).toBe('double');
    expect(task.moduleUrl).toBe(import.meta.url);
    expect(task.options.kind).toBe('cpu');
    expect(isTask(task)).toBe(true);
  });

  it('turns an absolute path into a file URL', () => {
    const task = defineTask('/tmp/some-module.js', 'f', () => 1);
    expect(task.moduleUrl).toBe(pathToFileURL('/tmp/some-module.js').href);
  });

  it.each([
    ['a relative path', () => defineTask('./x.js', 'f', () => 1), /moduleUrl/],
    ['an empty export name', () => defineTask(import.meta.url, '', () => 1), /exportName/],
    ['a non-function', () => defineTask(import.meta.url, 'f', 42 as never), /fn/],
    ['an unknown kind', () => defineTask(import.meta.url, 'f', () => 1, { kind: 'gpu' as never }), /kind/],
    [
      'retries with transfer',
      () => defineTask(import.meta.url, 'f', (b: ArrayBuffer) => b.byteLength, { retries: 1, transfer: (b) => [b] }),
      /`f` cannot have both `retries` and `transfer`/,
    ],
  ])('throws a TypeError naming the field for %s', (_label, make, pattern) => {
    expect(make).toThrow(TypeError);
    expect(make).toThrow(pattern);
  });

  it.each([
    ['a negative timeout', () => defineTask(import.meta.url, 'f', () => 1, { timeoutMs: -1 }), /timeoutMs/],
    ['fractional retries', () => defineTask(import.meta.url, 'f', () => 1, { retries: 1.5 }), /retries/],
  ])('throws a RangeError naming the field for %s (a number out of its range)', (_label, make, pattern) => {
    expect(make).toThrow(RangeError);
    expect(make).toThrow(pattern);
  });

  it('accepts transfer with retries 0 (no retry can resend a moved buffer)', () => {
    expect(defineTask(import.meta.url, 'f', (b: ArrayBuffer) => b.byteLength, { retries: 0, transfer: (b) => [b] }).options.retries).toBe(0);
  });

  it('loads its own function without importing', async () => {
    const fn = (n: number): number => n + 1;
    await expect(defineTask(import.meta.url, 'inc', fn).load()).resolves.toBe(fn);
  });
});

describe('taskFrom', () => {
  it('throws a TypeError for retries with transfer, as defineTask does', () => {
    expect(() => taskFrom('node:path', 'basename', { retries: 2, transfer: () => [] })).toThrow(/cannot have both `retries` and `transfer`/);
  });

  it('imports the export lazily on load', async () => {
    const task = taskFrom('node:path', 'basename');
    expect(task.fn).toBeUndefined();
    const fn = (await task.load()) as (p: string) => string;
    expect(fn('/a/b.txt')).toBe('b.txt');
  });

  it('rejects with TaskNotFoundError naming module and export when the export is missing', async () => {
    const task = taskFrom('node:path', 'noSuchExport');
    await expect(task.load()).rejects.toMatchObject({ code: 'ERR_TASK_NOT_FOUND', moduleUrl: 'node:path', exportName: 'noSuchExport' });
  });

  it('rejects with TaskNotFoundError when the module cannot be imported', async () => {
    const task = taskFrom('file:///nonexistent/module.js', 'f');
    await expect(task.load()).rejects.toMatchObject({ name: 'TaskNotFoundError' });
  });
});
