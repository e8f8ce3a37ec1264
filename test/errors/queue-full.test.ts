import { describe, it, expect } from '@jest/globals';
import { DeferredQueue } from '../../src/deferred/deferred-queue.js';
import { GreenReactorError, QueueFull, QueueFullError, QueueOverflow } from '../../src/errors.js';

describe('QueueFull', () => {
  it('is the parent of every full-queue error, so one catch handles them all', () => {
    for (const error of [new QueueFull(), new QueueFullError(), new QueueOverflow()]) {
      expect(error).toBeInstanceOf(QueueFull);
      expect(error).toBeInstanceOf(GreenReactorError);
    }
  });

  it.each([
    [new QueueFull(), 'QueueFull', 'ERR_QUEUE_FULL_NOWAIT'],
    [new QueueFullError(), 'QueueFullError', 'ERR_QUEUE_FULL'],
    [new QueueOverflow(), 'QueueOverflow', 'ERR_QUEUE_OVERFLOW'],
  ])('keeps the SPEC name and the stable code of %s', (error, name, code) => {
    expect([error.name, error.code]).toEqual([name, code]);
  });

  it('catches what a full DeferredQueue throws', () => {
    const queue = new DeferredQueue<number>(1);
    queue.put(1);
    expect(() => queue.put(2)).toThrow(QueueFull);
  });
});
