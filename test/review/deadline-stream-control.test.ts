/**
 * A deadline on an in-process stream (SPEC §9 and §10): the items the consumer read before the deadline are kept,
 * then the iteration ends with `TimeoutError` naming the withDeadline scope and `result` errbacks with it; the
 * greenlet is killed at its switch point (its `finally` runs) and emits nothing more. A stream dispatched after its
 * deadline passed never runs, green or inline. (The thread route's: test/review/thread-stream-control.test.ts.)
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { TimeoutError } from '../../src/errors.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';
import { defineTask, type Task } from '../../src/task/task.js';
import { emit } from '../../src/worker/index.js';
import { settleHub } from '../helpers/settle-hub.js';
import { failureOf } from '../threads/thread-test-kit.js';

const trace: string[] = [];

/** Emits two items, then parks for a long time before a third. */
const twoThenPark = defineTask(
  import.meta.url,
  'twoThenPark',
  function* (sleep: (ms: number) => unknown): Generator<unknown, string, unknown> {
    try {
      yield emit('a');
      yield emit('b');
      yield sleep(10_000);
      trace.push('woke');
      yield emit('c');
      return 'done';
    } finally {
      trace.push('unwound');
    }
  },
  { route: 'green' },
);

const inlineEmits = defineTask(
  import.meta.url,
  'inlineEmits',
  (): string => {
    trace.push('inline ran');
    emit('x');
    return 'done';
  },
  { route: 'inline' },
);

describe('reactor.stream() of an in-process task inside withDeadline', () => {
  let clock: Clock;
  let reactor: Reactor;
  afterEach(async () => {
    trace.length = 0;
    clock.advance(60_000);
    await reactor.stop({ graceMs: 0 });
  });

  it('green: keeps the items read before the deadline, then ends the iteration and result with TimeoutError', async () => {
    clock = new Clock();
    reactor = new Reactor({ clock });
    const hub = reactor.hub;
    const s = reactor.withDeadline(50, () => reactor.stream<typeof twoThenPark, string>(twoThenPark, (ms) => hub.sleep(ms)));
    const it = s[Symbol.asyncIterator]();
    const read: string[] = [];
    read.push((await it.next()).value as string, (await it.next()).value as string);
    await settleHub(hub);
    clock.advance(50);
    const ending = it.next();
    await expect(ending).rejects.toBeInstanceOf(TimeoutError);
    const error = await failureOf(s.result);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toContain('withDeadline');
    await settleHub(hub);
    expect(read).toEqual(['a', 'b']);
    clock.advance(10_000); // long past the park: the killed greenlet never came back to emit 'c'
    await settleHub(hub);
    expect(trace).toEqual(['unwound']);
  });

  it.each<[string, Task<any[], string>]>([
    ['green', twoThenPark],
    ['inline', inlineEmits],
  ])('%s: never runs a stream whose deadline passed at dispatch: TimeoutError, nothing emitted', async (_route, task) => {
    clock = new Clock();
    reactor = new Reactor({ clock });
    const hub = reactor.hub;
    const s = reactor.withDeadline(0, () => reactor.stream(task as typeof twoThenPark, (ms: number) => hub.sleep(ms)));
    await settleHub(hub);
    expect(await failureOf(s.result)).toBeInstanceOf(TimeoutError);
    const items: unknown[] = [];
    await expect(
      (async () => {
        for await (const item of s) items.push(item);
      })(),
    ).rejects.toBeInstanceOf(TimeoutError);
    expect(items).toEqual([]);
    expect(trace).toEqual([]);
  });
});
