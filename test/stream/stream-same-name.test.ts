import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/reactor/reactor.js';
import * as a from '../fixtures/parse-tasks-a.js';
import * as b from '../fixtures/parse-tasks-b.js';
import { built } from '../threads/thread-test-kit.js';
import { drain } from './stream-test-kit.js';

// Two modules export a streaming task named `squares` (defineTask(import.meta.url, 'squares', ...) in two files):
// its stream figures belong in its own entry of stats(), labelled like the route's other figures.

describe('reactor.stream() stats with two tasks of the same name from two modules', () => {
  let reactor: Reactor | undefined;
  afterEach(async () => {
    await reactor?.stop({ graceMs: 0 });
    reactor = undefined;
  });

  it("adds each thread task's stream figures to its own entry, labelled by module, even before one has finished a run", async () => {
    reactor = new Reactor({ policy: { default: 'thread', threads: { maxThreads: 2 } } });
    const [sa, sb] = [built(a.squares), built(b.squares)];
    const s = reactor.stream(sb, 3);
    expect(await drain(s)).toEqual([0, 1, 4]);
    expect(await s.result).toBe('b3');
    // a's stream has started, and the pool has timed no run of it yet.
    const running = reactor.stream(sa, 5);
    const labelA = 'squares (parse-tasks-a.js)';
    const live = reactor.stats().threads.tasks;
    expect(Object.keys(live).sort()).toEqual([labelA, 'squares (parse-tasks-b.js)']);
    expect(live[labelA]).toMatchObject({ runs: 0 });
    expect(live['squares (parse-tasks-b.js)']).toMatchObject({ runs: 1, streamedItems: 3 });
    expect(await drain(running)).toEqual([0, 1, 4, 9, 16]);
    expect(await running.result).toBe('a5');
    const done = reactor.stats().threads.tasks;
    expect(Object.keys(done).sort()).toEqual([labelA, 'squares (parse-tasks-b.js)']);
    expect([done[labelA]?.runs, done[labelA]?.streamedItems]).toEqual([1, 5]);
  });

  it("adds each green task's stream figures to its own entry, labelled by module", async () => {
    reactor = new Reactor({ policy: { default: 'green' } });
    const [sa, sb] = [reactor.stream(a.squares, 4), reactor.stream(b.squares, 2)];
    expect(await Promise.all([drain(sa), drain(sb)])).toEqual([
      [0, 1, 4, 9],
      [0, 1],
    ]);
    const { tasks } = reactor.stats().green;
    expect(Object.keys(tasks).sort()).toEqual(['squares (parse-tasks-a.ts)', 'squares (parse-tasks-b.ts)']);
    expect(tasks['squares (parse-tasks-a.ts)']).toMatchObject({ streamedItems: 4 });
    expect(tasks['squares (parse-tasks-b.ts)']).toMatchObject({ streamedItems: 2 });
    expect([tasks['squares (parse-tasks-a.ts)']!.steps, tasks['squares (parse-tasks-b.ts)']!.steps].every((n) => n > 0)).toBe(true);
  });

  it('labels an inline stream, which the hub never ran, apart from the green task of the same name', async () => {
    reactor = new Reactor({ policy: { default: 'green' } });
    const green = reactor.stream(b.squares, 2);
    expect(await drain(green)).toEqual([0, 1]);
    reactor.policy.update({ default: 'inline' });
    const inline = reactor.stream(a.squares, 3);
    expect(await drain(inline)).toEqual([0, 1, 4]);
    const { tasks } = reactor.stats().green;
    expect(Object.keys(tasks).sort()).toEqual(['squares (parse-tasks-a.ts)', 'squares (parse-tasks-b.ts)']);
    expect(tasks['squares (parse-tasks-a.ts)']).toMatchObject({ steps: 0, maxMs: 0, streamedItems: 3 }); // no greenlet ran it
    expect(tasks['squares (parse-tasks-b.ts)']).toMatchObject({ streamedItems: 2 });
  });
});
