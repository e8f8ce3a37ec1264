/**
 * A carrier's module evaluated twice in one thread (imported under two URLs: a query string, a path spelled in
 * another case on a case-insensitive disk, a package installed twice). Each evaluation makes new `capture`/`restore`
 * functions — and, usually, its own `AsyncLocalStorage` — and registers the same name again. SPEC §10 registers
 * carriers "like tasks", and a task module loaded twice works: so does its carrier. Both copies are served under the
 * one name: the caller's value is captured from whichever copy holds it, and restored into every copy, so the task
 * sees its context whichever copy its code reads. A different carrier under a taken name is still refused.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { captureCarriedContext, defineContextCarrier, removeContextCarrier, restoreCarriedContext } from '../../src/context/context-carrier.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { writeTaskModule } from '../helpers/temp-task-module.js';

const name = 'review.loadedTwice';

/** What one evaluation of a carrier module makes: its own store, and a carrier spec over it (new functions). */
function evaluateCarrierModule(): { store: AsyncLocalStorage<string>; spec: Parameters<typeof defineContextCarrier<string>>[1] } {
  const store = new AsyncLocalStorage<string>();
  return { store, spec: { capture: () => store.getStore(), restore: (value, run) => store.run(value, run) } };
}

const library = new URL('../../dist/src/index.js', import.meta.url).href;

/**
 * In the worker: `tasks.mjs` imports the carrier's module under two URLs, so it is evaluated twice there, each copy
 * with its own store; the task reports what each copy's store holds.
 */
const carrierSource = `
import { AsyncLocalStorage } from 'node:async_hooks';
import { defineContextCarrier } from ${JSON.stringify(library)};
export const store = new AsyncLocalStorage();
defineContextCarrier(${JSON.stringify(name)}, { capture: () => store.getStore(), restore: (value, run) => store.run(value, run) });
`;
const tasksSource = `
import * as first from './carrier.mjs';
import * as second from './carrier.mjs?copy=2';
export function bothCopies() {
  if (first.store === second.store) throw new Error('the carrier module was evaluated once');
  return [first.store.getStore() ?? null, second.store.getStore() ?? null];
}
`;

describe('defineContextCarrier() for a module evaluated twice', () => {
  afterEach(() => {
    removeContextCarrier(name);
  });

  it('accepts the second evaluation: its registration returns a carrier of that name', () => {
    defineContextCarrier(name, evaluateCarrierModule().spec);
    expect(defineContextCarrier(name, evaluateCarrierModule().spec).name).toBe(name);
  });

  it("captures the caller's value from whichever copy holds it", () => {
    const first = evaluateCarrierModule();
    const second = evaluateCarrierModule();
    defineContextCarrier(name, first.spec);
    defineContextCarrier(name, second.spec);
    expect(second.store.run('from-second', () => captureCarriedContext())).toEqual({ [name]: 'from-second' });
    expect(first.store.run('from-first', () => captureCarriedContext())).toEqual({ [name]: 'from-first' });
  });

  it('restores the value into every copy, so the task sees it whichever copy it reads', () => {
    const first = evaluateCarrierModule();
    const second = evaluateCarrierModule();
    defineContextCarrier(name, first.spec);
    defineContextCarrier(name, second.spec);
    expect(restoreCarriedContext({ [name]: 'r-1' }, () => [first.store.getStore(), second.store.getStore()])).toEqual(['r-1', 'r-1']);
  });

  it('still refuses another carrier under a name already taken (different code), with TypeError', () => {
    defineContextCarrier(name, evaluateCarrierModule().spec);
    expect(() => defineContextCarrier<string>(name, { capture: () => 'other', restore: (_value, run) => run() })).toThrow(
      /already registered/,
    );
  });

  it('refuses bound or native functions under a taken name (their source text says nothing of what they do)', () => {
    const first = new AsyncLocalStorage<string>();
    const second = new AsyncLocalStorage<string>();
    const restore = (value: string, run: () => unknown): unknown => first.run(value, run);
    defineContextCarrier(name, { capture: first.getStore.bind(first), restore });
    expect(() => defineContextCarrier(name, { capture: second.getStore.bind(second), restore })).toThrow(/already registered/);
  });
});

describe('a carrier module evaluated twice in a worker', () => {
  const module = writeTaskModule('gr-carrier-twice-', 'tasks.mjs', tasksSource);
  writeFileSync(new URL('carrier.mjs', module.url), carrierSource);
  let reactor: Reactor | undefined;
  afterEach(async () => {
    removeContextCarrier(name);
    await reactor?.stop({ graceMs: 0 });
    reactor = undefined;
  });
  afterAll(() => module.remove());

  it("runs the task, and each copy's store holds the caller's value", async () => {
    const caller = evaluateCarrierModule(); // the main thread's copy: the value is captured there
    defineContextCarrier(name, caller.spec);
    reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
    const task = module.task<[], [string | null, string | null]>('bothCopies');
    const r = reactor;
    await expect(caller.store.run('req-7', () => r.deferToThread(task).asPromise())).resolves.toEqual(['req-7', 'req-7']);
  });
});
