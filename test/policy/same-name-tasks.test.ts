import { describe, it, expect, afterEach } from '@jest/globals';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { decisionChannelName, type DecisionMessage } from '../../src/policy/decision-channel.js';
import { Reactor } from '../../src/reactor/reactor.js';
import type { PolicyLearned } from '../../src/policy/policy.js';
import * as a from '../fixtures/parse-tasks-a.js';
import * as b from '../fixtures/parse-tasks-b.js';
import { built } from '../threads/thread-test-kit.js';
import { successResultOf } from '../helpers/deferred-results.js';

// Two modules export tasks under the same names (defineTask(import.meta.url, 'parse', ...) in two files): `auto`
// learns per task, so what one of them does must not move the other. a's tasks advance the reactor's fake wall
// time (`now`) by their argument: a step or run that "blocks" for exactly that long, with no CPU burnt.
const now = (): number => a.wall.ms;

describe('auto with two tasks of the same name from two modules', () => {
  let reactor: Reactor | undefined;
  afterEach(async () => {
    await reactor?.stop({ graceMs: 0 });
    reactor = undefined;
  });

  it("pins only the task whose green step blocked (the hub's 'blocked' event names the task, not its name)", async () => {
    reactor = new Reactor({ now, policy: { green: { blockingThresholdMs: 5 }, adaptive: { blockingThresholdMs: 5 } } });
    expect([reactor.explain(a.parse, 0).route, reactor.explain(b.parse, 0).route]).toEqual(['green', 'green']);
    expect(await reactor.dispatch(a.parse, 30)).toBe('a');
    expect(reactor.explain(a.parse, 0).reason).toMatch(/^auto: green step took 30 ms > 5 ms; on threads for good/);
    expect(reactor.explain(b.parse, 0)).toEqual({ route: 'green', reason: "auto: kind 'io' starts in-process; generator/async: runs on a greenlet" });
    const spawned = reactor.stats().green.spawned;
    expect(await reactor.dispatch(b.parse, 0)).toBe('b');
    expect(reactor.stats().green.spawned).toBe(spawned + 1); // it stayed on its route
  });

  it('pins only the task whose timed inline run blocked', () => {
    reactor = new Reactor({ now, policy: { adaptive: { blockingThresholdMs: 5, sampleSize: 4 } } });
    expect(successResultOf(reactor.dispatch(a.tokenize, 30))).toBe('a');
    expect(reactor.explain(a.tokenize, 0).reason).toMatch(/^auto: inline run took 30 ms > 5 ms; on threads for good/);
    expect(reactor.explain(b.tokenize, 0).route).toBe('inline');
    expect(successResultOf(reactor.dispatch(b.tokenize, 0))).toBe('b');
    expect(reactor.stats().policy.routes).toEqual({ thread: 0, green: 0, inline: 2 });
  });

  it('keeps one record per task in stats(), named by task and, as the names collide, by module', () => {
    reactor = new Reactor({ now, policy: { adaptive: { blockingThresholdMs: 5, sampleSize: 4 } } });
    successResultOf(reactor.dispatch(a.tokenize, 30));
    successResultOf(reactor.dispatch(b.tokenize, 0));
    successResultOf(reactor.dispatch(b.tokenize, 0));
    const auto = reactor.stats().policy.auto;
    expect(Object.keys(auto).sort()).toEqual(['tokenize (parse-tasks-a.ts)', 'tokenize (parse-tasks-b.ts)']);
    expect(auto['tokenize (parse-tasks-a.ts)']).toMatchObject({ phase: 'pinned-to-threads', blockedSteps: 1, inProcessSamples: 1 });
    expect(auto['tokenize (parse-tasks-b.ts)']).toMatchObject({ phase: 'start', blockedSteps: 0, inProcessSamples: 2, medianInProcessRunMs: 0 });
  });

  it("feeds each task's thread runs to its own window (the pool's onRunTimed names the task, not its name)", async () => {
    reactor = new Reactor({ policy: { threads: { maxThreads: 1 }, adaptive: { sampleSize: 10 } } });
    const [ca, cb] = [built(a.checksum), built(b.checksum)];
    expect(await reactor.dispatch(ca, 1)).toBe('a1');
    expect(await reactor.dispatch(cb, 2)).toBe('b2');
    expect(await reactor.dispatch(cb, 3)).toBe('b3');
    const auto = reactor.stats().policy.auto;
    expect(Object.keys(auto).sort()).toEqual(['checksum (parse-tasks-a.js)', 'checksum (parse-tasks-b.js)']);
    expect([auto['checksum (parse-tasks-a.js)']?.threadRuns, auto['checksum (parse-tasks-b.js)']?.threadRuns]).toEqual([1, 2]);
  });

  it("names the task in the hub's step statistics and the 'learn' event by module once two share its name", async () => {
    reactor = new Reactor({ now, policy: { green: { blockingThresholdMs: 5 }, adaptive: { blockingThresholdMs: 5 } } });
    const learned: PolicyLearned[] = [];
    reactor.policy.on('learn', (l) => learned.push(l));
    expect(await reactor.dispatch(b.parse, 0)).toBe('b');
    successResultOf(reactor.dispatch(b.tokenize, 0)); // auto now knows b's tokenize
    expect(await reactor.dispatch(a.parse, 30)).toBe('a');
    expect(Object.keys(reactor.stats().green.tasks).sort()).toEqual(['parse (parse-tasks-a.ts)', 'parse (parse-tasks-b.ts)']);
    expect(reactor.stats().green.tasks['parse (parse-tasks-a.ts)']?.maxMs).toBe(30);
    successResultOf(reactor.dispatch(a.tokenize, 30));
    expect(learned.map((l) => [l.task, l.id, l.route])).toEqual([
      ['parse', a.parse.id, 'thread'], // b's parse was never timed: auto knows one parse
      ['tokenize (parse-tasks-a.ts)', a.tokenize.id, 'thread'],
    ]);
  });

  it("publishes each task's decisions on the debug channel under its own id", () => {
    reactor = new Reactor({ now, policy: { default: 'inline' } });
    const seen: DecisionMessage[] = [];
    const listener = (message: unknown): void => void seen.push(message as DecisionMessage);
    subscribe(decisionChannelName, listener);
    try {
      successResultOf(reactor.dispatch(a.tokenize, 0));
      successResultOf(reactor.dispatch(b.tokenize, 0));
    } finally {
      unsubscribe(decisionChannelName, listener);
    }
    expect(seen.map(({ task, id }) => ({ task, id }))).toEqual([
      { task: 'tokenize', id: a.tokenize.id },
      { task: 'tokenize', id: b.tokenize.id },
    ]);
    expect(a.tokenize.id).not.toBe(b.tokenize.id);
  });

  it('names a task by its name alone while no other task shares it', () => {
    reactor = new Reactor({ now, policy: { adaptive: { sampleSize: 4 } } });
    successResultOf(reactor.dispatch(b.tokenize, 0));
    expect(Object.keys(reactor.stats().policy.auto)).toEqual(['tokenize']);
  });
});
