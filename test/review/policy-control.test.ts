/**
 * Adversarial tests of the policy layer's hold-back gates (a rule's `maxConcurrent` bulkhead, the crash budget):
 * a `withDeadline` deadline that passes while a call waits for its place, the scope a released call starts in, and
 * a stream start that throws. Deterministic: virtual `Clock`, the hub flushed by hand, fake routes where the route
 * itself is not the point.
 *
 * @module
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { Clock } from '../../src/time/clock.js';
import { TimeoutError } from '../../src/errors.js';
import { defineTask, type Task } from '../../src/task/task.js';
import { Policy } from '../../src/policy/policy.js';
import type { PolicyConfig } from '../../src/policy/policy-schema.js';
import { PolicyDispatcher, type DispatchTargets } from '../../src/policy/policy-dispatcher.js';
import { runWithDeadline, scopedDeadline, type ScopedDeadline } from '../../src/context/deadline-scope.js';
import { assertNoResult, failureResultOf, successResultOf } from '../helpers/deferred-results.js';

/** Names of the calls that started, and the Deferred each is parked on (fired by the test). */
const started: string[] = [];
const gates = new Map<string, Deferred<void>>();

function park(name: string): Deferred<void> {
  started.push(name);
  const gate = new Deferred<void>();
  gates.set(name, gate);
  return gate;
}

export const parkedGreen = defineTask(
  import.meta.url,
  'parkedGreen',
  function* (name: string): Generator<unknown, string, unknown> {
    yield park(name);
    return name;
  },
  { route: 'green' },
);

export const parkedInline = defineTask(import.meta.url, 'parkedInline', (name: string) => park(name).addCallback(() => name), {
  route: 'inline',
});

export const threadWork = defineTask(import.meta.url, 'threadWork', (name: string) => name);

interface StartedCall {
  name: string;
  scope: ScopedDeadline | undefined;
  d: Deferred<unknown>;
}

/** Fake routes recording each call that reached them and the deadline scope it started in. */
function fakeTargets(clock: Clock): DispatchTargets & { calls: StartedCall[] } {
  const calls: StartedCall[] = [];
  const record = (args: unknown[]): Deferred<unknown> => {
    const d = new Deferred<unknown>();
    calls.push({ name: String(args[0]), scope: scopedDeadline(), d });
    return d;
  };
  return {
    calls,
    clock,
    load: { threadQueue: 0, loopDelayMs: 0 },
    threadPool: { run: (_task: Task, ...args: unknown[]) => record(args) },
    spawnDeferred: (_task: unknown, args: unknown[]) => record(args),
  };
}

function dispatcherFor(config: PolicyConfig, clock: Clock): { dispatcher: PolicyDispatcher; calls: StartedCall[] } {
  const targets = fakeTargets(clock);
  return { dispatcher: new PolicyDispatcher(Policy.load(config), targets), calls: targets.calls };
}

const oneAtATime: PolicyConfig = { rules: [{ name: 'one', match: { task: 'threadWork' }, route: 'thread', maxConcurrent: 1 }] };
const crashBudget: PolicyConfig = {
  default: 'thread',
  adaptive: { crashBudget: { crashes: 1, windowMs: 60_000, then: 'fail' } },
};

describe('a call held back before its route', () => {
  afterEach(() => {
    started.length = 0;
    gates.clear();
  });

  describe.each([
    ['a bulkhead (maxConcurrent)', oneAtATime],
    ['the crash budget (an unproven task, one call at a time)', crashBudget],
  ])('by %s', (_name, config) => {
    let clock: Clock;
    beforeEach(() => {
      clock = new Clock();
    });

    it('errbacks TimeoutError when its withDeadline deadline passes while it waits, and never starts', () => {
      const { dispatcher, calls } = dispatcherFor(config, clock);
      const a = dispatcher.dispatch(threadWork, ['a']);
      const b = runWithDeadline(clock, 10, () => dispatcher.dispatch(threadWork, ['b']));
      expect(calls.map((c) => c.name)).toEqual(['a']);
      clock.advance(9);
      assertNoResult(b);
      clock.advance(1);
      expect(failureResultOf(b, TimeoutError).getErrorMessage()).toMatch(/deadline of its withDeadline scope/);
      calls[0]!.d.callback('a');
      expect(successResultOf(a)).toBe('a');
      expect(calls.map((c) => c.name)).toEqual(['a']);
    });

    it('starts in the deadline scope of its caller, not in that of the code that freed its place', () => {
      const { dispatcher, calls } = dispatcherFor(config, clock);
      dispatcher.dispatch(threadWork, ['a']);
      let scopeOfB: ScopedDeadline | undefined;
      const b = runWithDeadline(clock, 100, () => {
        scopeOfB = scopedDeadline();
        return dispatcher.dispatch(threadWork, ['b']);
      });
      const c = dispatcher.dispatch(threadWork, ['c']); // no scope
      // The place frees inside an unrelated, shorter scope.
      // (The bulkhead admits b, then c when b is done; the crash budget, once a proved the task, both at once.)
      runWithDeadline(clock, 5, () => calls[0]!.d.callback('a'));
      runWithDeadline(clock, 5, () => calls[1]!.d.callback('b'));
      expect(successResultOf(b)).toBe('b');
      expect(calls[1]!.scope).toBe(scopeOfB);
      expect(calls.map((x) => x.name)).toEqual(['a', 'b', 'c']);
      expect(calls[2]!.scope).toBeUndefined();
      clock.advance(50);
      assertNoResult(c);
    });
  });
});

describe('reactor.dispatch() through a bulkhead, in-process', () => {
  let reactor: Reactor;
  let clock: Clock;
  afterEach(async () => {
    for (const gate of gates.values()) if (!gate.called) gate.callback();
    await reactor.stop({ graceMs: 0 });
    started.length = 0;
    gates.clear();
  });

  function make(task: Task<[string], unknown>, route: 'green' | 'inline'): void {
    clock = new Clock();
    reactor = new Reactor({ clock, policy: { rules: [{ name: 'one', match: { task: task.name }, route, maxConcurrent: 1 }] } });
  }

  it.each<['green' | 'inline', Task<[string], unknown>]>([
    ['green', parkedGreen],
    ['inline', parkedInline],
  ])('%s: a call whose deadline passes while it waits errbacks TimeoutError and never runs', (route, task) => {
    make(task, route);
    const a = reactor.dispatch(task, 'a');
    const b = reactor.withDeadline(10, () => reactor.dispatch(task, 'b'));
    reactor.hub.flush();
    expect(started).toEqual(['a']);
    clock.advance(10);
    failureResultOf(b, TimeoutError);
    gates.get('a')!.callback();
    reactor.hub.flush();
    expect(successResultOf(a)).toBe('a');
    expect(started).toEqual(['a']);
  });

  it.each<['green' | 'inline', Task<[string], unknown>]>([
    ['green', parkedGreen],
    ['inline', parkedInline],
  ])('%s: a waiting call whose place frees as its deadline passes never runs', (route, task) => {
    make(task, route);
    reactor.dispatch(task, 'a');
    reactor.hub.flush();
    // Due at 10 and scheduled before b's own timer: frees the place first, at the instant b's deadline passes.
    clock.callLater(10, () => gates.get('a')!.callback());
    const b = reactor.withDeadline(10, () => reactor.dispatch(task, 'b'));
    clock.advance(10);
    reactor.hub.flush();
    failureResultOf(b, TimeoutError);
    expect(started).toEqual(['a']);
  });
});

describe('PolicyDispatcher.admit()', () => {
  it('errbacks with what a start that throws threw, when the rule sets no maxConcurrent', () => {
    const clock = new Clock();
    const { dispatcher } = dispatcherFor({}, clock);
    const decision = dispatcher.decide(threadWork, []);
    let d: Deferred<unknown> | undefined;
    expect(() => {
      d = dispatcher.admit({ target: threadWork, decision, args: [] }, () => {
        throw new RangeError('start broke');
      });
    }).not.toThrow();
    failureResultOf(d!, RangeError);
  });
});
