import { describe, it, expect } from '@jest/globals';
import { defineTask, type Kind, type Route } from '../../src/task/task.js';
import { Policy } from '../../src/policy/policy.js';
import type { DispatchLoad } from '../../src/policy/decision.js';

const task = (name: string, options: { kind?: Kind; route?: Route } = {}) => defineTask(import.meta.url, name, (x?: unknown) => x, options);
const idle: DispatchLoad = { threadQueue: 0, loopDelayMs: 0 };
const load = (threadQueue: number, loopDelayMs: number): DispatchLoad => ({ threadQueue, loopDelayMs });

describe('Policy', () => {
  describe('.decide()', () => {
    describe('match.task', () => {
      const policy = Policy.load({ rules: [{ name: 'images', match: { task: '{resize,crop}*' }, route: 'inline' }] });

      it('matches a task whose name fits the glob', () => {
        expect(policy.decide(task('resizeJpeg'), [], idle)).toEqual({
          route: 'inline',
          rule: 'images',
          reason: "rule 'images' matched task 'resizeJpeg'",
        });
      });

      it('skips a task whose name does not fit the glob', () => {
        expect(policy.decide(task('encode', { kind: 'cpu' }), [], idle).rule).toBeUndefined();
      });

      it('lets `*` match every name', () => {
        const all = Policy.load({ rules: [{ match: { task: '*' }, route: 'green' }] });
        expect(all.decide(task('.hidden'), [], idle).route).toBe('green');
      });
    });

    describe('match.kind', () => {
      const policy = Policy.load({
        rules: [
          { name: 'one', match: { kind: 'io' }, route: 'inline' },
          { name: 'list', match: { kind: ['cpu', 'blocking'] }, route: 'green' },
        ],
      });

      it('matches a single kind', () => {
        expect(policy.decide(task('fetch', { kind: 'io' }), [], idle).rule).toBe('one');
      });

      it('matches any kind of a list', () => {
        expect(policy.decide(task('sqlite', { kind: 'blocking' }), [], idle).rule).toBe('list');
      });

      it('never matches a task that declares no kind', () => {
        expect(policy.decide(task('unknown'), [], idle).rule).toBeUndefined();
      });
    });

    describe('match.argBytes', () => {
      const policy = Policy.load({ rules: [{ name: 'big', match: { argBytes: { gte: 1024 } }, route: 'thread' }] });

      it('matches when the arguments weigh enough', () => {
        expect(policy.decide(task('hash', { route: 'green' }), [new Uint8Array(1000), 'x'.repeat(24)], idle)).toEqual({
          route: 'thread',
          rule: 'big',
          reason: "rule 'big' matched task 'hash' (argBytes 1024 >= 1024)",
        });
      });

      it('does not match lighter arguments', () => {
        expect(policy.decide(task('hash', { route: 'green' }), [new Uint8Array(1023)], idle).route).toBe('green');
      });
    });

    describe('match.threadQueue', () => {
      const policy = Policy.load({ rules: [{ name: 'spill', match: { threadQueue: { gt: 8 } }, route: 'green' }] });
      const resize = task('resize', { kind: 'cpu' });

      it('matches while the pool queue is deep', () => {
        expect(policy.decide(resize, [], load(9, 0))).toEqual({
          route: 'green',
          rule: 'spill',
          reason: "rule 'spill' matched task 'resize' (threadQueue 9 > 8)",
        });
      });

      it('stops matching when the queue drains (per dispatch, not cached)', () => {
        expect(policy.decide(resize, [], load(9, 0)).route).toBe('green');
        expect(policy.decide(resize, [], load(8, 0)).route).toBe('thread');
      });
    });

    describe('match.loopDelayMs', () => {
      const policy = Policy.load({ rules: [{ name: 'stalled', match: { loopDelayMs: { gte: 50 } }, route: 'thread' }] });

      it('matches when the loop delay p99 is high', () => {
        expect(policy.decide(task('parse', { kind: 'io' }), [], load(0, 51.5))).toEqual({
          route: 'thread',
          rule: 'stalled',
          reason: "rule 'stalled' matched task 'parse' (loopDelayMs 51.50 >= 50)",
        });
      });

      it('does not match a calm loop', () => {
        expect(policy.decide(task('parse', { kind: 'io' }), [], load(0, 3)).route).toBe('inline');
      });
    });

    describe('combined conditions', () => {
      const policy = Policy.load({
        rules: [{ name: 'all', match: { task: 'img*', kind: 'cpu', argBytes: { gt: 10 }, threadQueue: { lt: 4 } }, route: 'inline' }],
      });

      it('matches only when every condition holds', () => {
        expect(policy.decide(task('imgBlur', { kind: 'cpu' }), ['x'.repeat(11)], load(3, 0)).rule).toBe('all');
      });

      it.each<[string, string, Kind | undefined, number, number]>([
        ['the name', 'blur', 'cpu', 11, 3],
        ['the kind', 'imgBlur', 'io', 11, 3],
        ['the argument size', 'imgBlur', 'cpu', 10, 3],
        ['the queue depth', 'imgBlur', 'cpu', 11, 4],
      ])('does not match when %s fails', (_what, name, kind, size, queue) => {
        const t = kind === undefined ? task(name) : task(name, { kind });
        expect(policy.decide(t, ['x'.repeat(size)], load(queue, 0)).rule).toBeUndefined();
      });

      it('lists every dynamic value in the reason', () => {
        expect(policy.decide(task('imgBlur', { kind: 'cpu' }), ['x'.repeat(11)], load(3, 0)).reason).toBe(
          "rule 'all' matched task 'imgBlur' (argBytes 11 > 10, threadQueue 3 < 4)",
        );
      });
    });

    describe('precedence', () => {
      it('lets the first matching rule win', () => {
        const policy = Policy.load({
          rules: [
            { name: 'first', match: { task: 'x*' }, route: 'inline' },
            { name: 'second', match: { task: 'xy' }, route: 'thread' },
          ],
        });
        expect(policy.decide(task('xy'), [], idle).rule).toBe('first');
      });

      it('falls through a dynamic rule that does not hold to the next rule', () => {
        const policy = Policy.load({
          rules: [
            { name: 'busy', match: { threadQueue: { gte: 5 } }, route: 'green' },
            { name: 'rest', match: {}, route: 'thread' },
          ],
        });
        expect(policy.decide(task('a'), [], load(1, 0)).rule).toBe('rest');
        expect(policy.decide(task('a'), [], load(5, 0)).rule).toBe('busy');
      });

      it("names an unnamed rule by its index", () => {
        const policy = Policy.load({ rules: [{ name: 'other', match: { task: 'zz' }, route: 'green' }, { match: {}, route: 'inline' }] });
        expect(policy.decide(task('a'), [], idle)).toEqual({ route: 'inline', rule: 'rules[1]', reason: "rule 'rules[1]' matched task 'a'" });
      });

      it("uses the task's own route when no rule matches", () => {
        const policy = Policy.load({ default: 'thread', rules: [{ match: { task: 'zz' }, route: 'green' }] });
        expect(policy.decide(task('parse', { route: 'inline' }), [], idle)).toEqual({
          route: 'inline',
          reason: "task 'parse' asks for route 'inline'",
        });
      });

      it("lets a rule override the task's own route", () => {
        const policy = Policy.load({ rules: [{ name: 'r', match: {}, route: 'green' }] });
        expect(policy.decide(task('parse', { route: 'thread' }), [], idle).route).toBe('green');
      });

      it("uses the config's default when neither a rule nor the task says", () => {
        expect(Policy.load({ default: 'inline' }).decide(task('a'), [], idle)).toEqual({ route: 'inline', reason: "default route 'inline'" });
      });

      it('defaults to auto', () => {
        expect(new Policy().decide(task('fib', { kind: 'cpu' }), [], idle)).toEqual({ route: 'thread', reason: "auto: kind 'cpu' starts on threads (judged after 20 thread runs)" });
      });

      it('resolves a rule that routes to auto, keeping the rule in the reason', () => {
        const policy = Policy.load({ rules: [{ name: 'learn', match: { task: 'q*' }, route: 'auto' }] });
        expect(policy.decide(task('query', { kind: 'io' }), [], idle)).toEqual({
          route: 'inline',
          rule: 'learn',
          reason: "rule 'learn' matched task 'query'; auto: kind 'io' starts in-process; synchronous: runs inline",
        });
      });

      it("resolves a task's own auto route", () => {
        expect(new Policy({ default: 'inline' }).decide(task('q', { route: 'auto', kind: 'blocking' }), [], idle)).toEqual({
          route: 'thread',
          reason: "task 'q' asks for route 'auto'; auto: kind 'blocking' starts on threads (judged after 20 thread runs)",
        });
      });
    });

    describe('timeoutMs', () => {
      it("carries the matching rule's timeoutMs", () => {
        const policy = Policy.load({ rules: [{ name: 'slow', match: {}, route: 'thread', timeoutMs: 250 }] });
        expect(policy.decide(task('a'), [], idle).timeoutMs).toBe(250);
      });

      it('has no timeoutMs when the rule sets none', () => {
        expect('timeoutMs' in Policy.load({ rules: [{ match: {}, route: 'thread' }] }).decide(task('a'), [], idle)).toBe(false);
      });
    });

    describe('plain functions', () => {
      it('turns a thread choice into green, and says why', () => {
        const policy = Policy.load({ rules: [{ name: 'cpu', match: { task: 'work' }, route: 'thread' }] });
        function work(): number {
          return 1;
        }
        expect(policy.decide(work, [], idle)).toEqual({
          route: 'green',
          rule: 'cpu',
          reason: "rule 'cpu' matched task 'work'; a plain function cannot run on a thread, so it runs on a greenlet",
        });
      });

      it('runs a synchronous plain function inline under auto', () => {
        expect(new Policy().decide(() => 1, [], idle)).toEqual({ route: 'inline', reason: 'auto: a plain function runs in-process only; synchronous: runs inline' });
      });

      it('runs a generator or async plain function on a greenlet under auto', () => {
        const expected = { route: 'green', reason: 'auto: a plain function runs in-process only; generator/async: runs on a greenlet' };
        expect(new Policy().decide(function* gen() {}, [], idle)).toEqual(expected);
        expect(new Policy().decide(async () => 1, [], idle)).toEqual(expected);
      });

      it('keeps an inline choice for a plain function', () => {
        expect(Policy.load({ default: 'inline' }).decide(() => 1, [], idle).route).toBe('inline');
      });
    });

    describe('cost', () => {
      it('returns the same cached decision for a task whose rules are static', () => {
        const policy = Policy.load({ rules: [{ match: { task: 'a' }, route: 'green' }] });
        const a = task('a');
        expect(policy.decide(a, [], idle)).toBe(policy.decide(a, [], idle));
      });

      it('does not read the load when no rule needs it', () => {
        const policy = Policy.load({ rules: [{ match: { task: 'other', threadQueue: { gt: 1 } }, route: 'green' }] });
        let reads = 0;
        const counting: DispatchLoad = {
          get threadQueue() {
            reads += 1;
            return 0;
          },
          loopDelayMs: 0,
        };
        policy.decide(task('mine', { kind: 'cpu' }), [], counting);
        expect(reads).toBe(0);
      });

      it('sees a new config at once after update()', () => {
        const policy = Policy.load({ default: 'inline' });
        const a = task('a');
        expect(policy.decide(a, [], idle).route).toBe('inline');
        policy.update({ default: 'green' });
        expect(policy.decide(a, [], idle).route).toBe('green');
      });
    });

    describe('.plan()', () => {
      it('returns the same cached plan, with its decision, for a task whose rules are static', () => {
        const policy = Policy.load({ default: 'inline' });
        const a = task('a');
        const plan = policy.plan(a, [], idle);
        expect(policy.plan(a, [], idle)).toBe(plan);
        expect(plan).toEqual({ decision: policy.decide(a, [], idle), timing: undefined, bareInline: true, bareGreen: false, bareThread: false, plain: false, task: { id: a.id, name: 'a' }, fixed: true });
      });

      it("marks an inline or green decision with a rule's timeoutMs or maxConcurrent as not bare", () => {
        const policy = Policy.load({
          rules: [
            { match: { task: 'timed' }, route: 'inline', timeoutMs: 5 },
            { match: { task: 'limited' }, route: 'inline', maxConcurrent: 2 },
          ],
        });
        expect(policy.plan(task('timed'), [], idle).bareInline).toBe(false);
        expect(policy.plan(task('limited'), [], idle).bareInline).toBe(false);
        expect(policy.plan(task('other', { route: 'green' }), [], idle)).toMatchObject({ bareInline: false, bareGreen: true });
        const green = Policy.load({ rules: [{ match: { task: 'timed' }, route: 'green', timeoutMs: 5 }], default: 'green' });
        expect(green.plan(task('timed'), [], idle)).toMatchObject({ bareInline: false, bareGreen: false });
        expect(green.plan(task('thread', { route: 'thread' }), [], idle)).toMatchObject({ bareInline: false, bareGreen: false, bareThread: true });
      });

      it("marks a thread decision with a rule's timeoutMs, maxConcurrent, pool or coalesce: false as not bare", () => {
        const policy = Policy.load({
          rules: [
            { match: { task: 'timed' }, route: 'thread', timeoutMs: 5 },
            { match: { task: 'limited' }, route: 'thread', maxConcurrent: 2 },
            { match: { task: 'pooled' }, route: 'thread', pool: 'big' },
            { match: { task: 'alone' }, route: 'thread', coalesce: false },
          ],
          pools: { big: { maxThreads: 1 } },
          default: 'thread',
        });
        for (const name of ['timed', 'limited', 'pooled', 'alone']) expect(policy.plan(task(name), [], idle).bareThread).toBe(false);
        expect(policy.plan(task('other'), [], idle).bareThread).toBe(true);
      });

      it("carries auto's timing: every run while the in-process window fills, then sampled", () => {
        const policy = Policy.load({ adaptive: { sampleSize: 2 } });
        const io = task('io', { kind: 'io' });
        expect(policy.plan(io, [], idle).timing).toBe('every');
        policy.recordInProcessRun(io, 0.01);
        policy.recordInProcessRun(io, 0.01);
        expect(policy.plan(io, [], idle)).toMatchObject({ timing: 'sampled', bareInline: true });
      });

      it('plans a dynamic rule per call, from the load', () => {
        const policy = Policy.load({ rules: [{ match: { threadQueue: { gt: 3 } }, route: 'inline' }], default: 'green' });
        const a = task('a');
        expect(policy.plan(a, [], load(5, 0))).toMatchObject({ bareInline: true, fixed: false, decision: { route: 'inline' } });
        expect(policy.plan(a, [], idle)).toMatchObject({ bareInline: false, fixed: false, decision: { route: 'green' } });
      });
    });

    describe('.generation', () => {
      it('changes when a config is applied and when auto moves a task, and only then', () => {
        const policy = Policy.load({ adaptive: { sampleSize: 2 } });
        const io = task('io', { kind: 'io' });
        const first = policy.generation;
        policy.decide(io, [], idle);
        policy.recordInProcessRun(io, 0.01);
        expect(policy.generation).toBe(first);
        policy.recordInProcessRun(io, 0.01); // the in-process window is full: its probe ends
        const probed = policy.generation;
        expect(probed).not.toBe(first);
        policy.update({ adaptive: { sampleSize: 2 } });
        const reloaded = policy.generation;
        expect(reloaded).not.toBe(probed);
        policy.recordBlockedStep(io, 500); // pinned to threads
        expect(policy.generation).not.toBe(reloaded);
      });
    });

    it('throws TypeError for something that is neither a Task nor a function', () => {
      expect(() => new Policy().decide({ name: 'x' }, [], idle)).toThrow(TypeError);
    });
  });

  describe('.decideFor()', () => {
    it('decides for a task described by name, kind and argument size', () => {
      const policy = Policy.load({ rules: [{ name: 'big', match: { task: 'resize', kind: 'cpu', argBytes: { gte: 1e6 } }, route: 'green' }] });
      expect(policy.decideFor({ name: 'resize', kind: 'cpu' }, { argBytes: 2e6 }).rule).toBe('big');
      expect(policy.decideFor({ name: 'resize', kind: 'cpu' }, { argBytes: 10 })).toEqual({ route: 'thread', reason: "auto: kind 'cpu' starts on threads (judged after 20 thread runs)" });
    });
  });

  describe('.update()', () => {
    it("emits 'change' with the new config", () => {
      const policy = new Policy();
      const seen: unknown[] = [];
      policy.on('change', (change) => seen.push(change.config));
      policy.update({ default: 'thread' });
      expect(seen).toEqual([{ default: 'thread' }]);
    });

    it('keeps the old config when the new one is invalid', () => {
      const policy = Policy.load({ default: 'green' });
      expect(() => policy.update({ default: 'nope' } as never)).toThrow(expect.objectContaining({ code: 'ERR_POLICY_CONFIG' }));
      expect(policy.config).toEqual({ default: 'green' });
    });
  });
});
