/**
 * Plain functions whose `name` cannot be read (a getter that throws, a Proxy of a function whose `get` trap throws)
 * given to the dispatch APIs. SPEC §3: no dispatch method throws; bad input errbacks the Deferred. The library reads
 * a plain function's name to key its statistics and to describe it; read unguarded, a throwing `name` escaped as a
 * throw from `deferToGreenlet`, `hub.spawn` and `explain`, and failed `dispatch` and `stream` with the getter's
 * error (the policy also read the function's `constructor` to tell a generator or async function). Such a function
 * is now named `<anonymous>` (as one with no name), its shape is read from its prototype, and it runs.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Reactor } from '../../src/index.js';

/** A function returning 42 whose `name` throws when read. */
function namelessFn(): () => number {
  const fn = (): number => 42;
  Object.defineProperty(fn, 'name', {
    get() {
      throw new Error('name getter threw');
    },
  });
  return fn;
}

/** A Proxy of a function returning 42 whose `get` trap throws (calling it still works: `apply` is not trapped). */
function trappedFn(): () => number {
  return new Proxy((): number => 42, {
    get() {
      throw new Error('get trap threw');
    },
  });
}

const hostile: Array<[string, () => () => number]> = [
  ['a name getter that throws', namelessFn],
  ['a Proxy whose get trap throws', trappedFn],
];

let reactor: Reactor | undefined;
afterEach(async () => {
  await reactor?.stop();
  reactor = undefined;
});

describe('Reactor given a plain function whose name cannot be read', () => {
  it.each(hostile)('.deferToGreenlet() runs it: %s', async (_name, make) => {
    reactor = new Reactor();
    await expect(reactor.deferToGreenlet(make())).resolves.toBe(42);
  });

  it.each(hostile)('.hub.spawn() runs it: %s', async (_name, make) => {
    reactor = new Reactor();
    const g = reactor.hub.spawn(make());
    await expect(reactor.waitForGreenlet(g)).resolves.toBe(42);
  });

  it.each(hostile)('.dispatch() runs it: %s', async (_name, make) => {
    reactor = new Reactor();
    await expect(reactor.dispatch(make())).resolves.toBe(42);
  });

  it.each(hostile)('.explain() explains it as a synchronous plain function: %s', (_name, make) => {
    reactor = new Reactor();
    expect(reactor.explain(make())).toMatchObject({ route: 'inline', reason: expect.stringContaining('synchronous') });
  });

  it.each(hostile)('.stream() ends with its result: %s', async (_name, make) => {
    reactor = new Reactor();
    const stream = reactor.stream(make());
    const items: unknown[] = [];
    for await (const item of stream) items.push(item);
    await expect(stream.result).resolves.toBe(42);
  });
});
