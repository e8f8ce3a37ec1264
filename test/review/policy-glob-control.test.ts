/**
 * A rule's `match.task` glob is input (a policy file, `reload()`, `policy.watch`): no glob may freeze the process,
 * and every glob the docs promise keeps the answers it had with picomatch.
 *
 * Before: picomatch compiled `*a*a*a*a*a*a*a*a*a*ab` to a backtracking RegExp that took 21 s against the name
 * `'a'.repeat(40)` in `explain()` (and in the first dispatch of each task that consulted the rule), and
 * `*a*a*a*ab` took 95 s against a 1,000-character name, all on the event loop.
 *
 * The table of answers was checked against picomatch 4 (options `{ strictBrackets: true, dot: true }`, as
 * the policy used it) before picomatch was dropped: every pair agrees.
 */
import { describe, expect, it } from '@jest/globals';
import { Policy } from '../../src/policy/policy.js';
import { PolicyConfigError } from '../../src/errors.js';
import { defineTask } from '../../src/task/task.js';

const named = (name: string) => defineTask(import.meta.url, name, () => undefined, { route: 'green' });
const onThreads = (task: string) => Policy.load({ rules: [{ name: 'hostile', match: { task }, route: 'thread' }] });

/** Wall time of `fn`, only as a generous guard against a hang (the old matcher took tens of seconds). */
function elapsedMs(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

function taskIssue(task: string): { path: string; message: string } | undefined {
  try {
    onThreads(task);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyConfigError);
    return (error as PolicyConfigError).issues[0];
  }
  return undefined;
}

describe('rules[].match.task', () => {
  describe('a hostile glob', () => {
    it.each([
      ['*a'.repeat(10) + 'b', 'a'.repeat(40)],
      ['*a'.repeat(4) + 'b', 'a'.repeat(1000)],
      ['*a'.repeat(50) + 'b', 'a'.repeat(2000)],
      ['{' + Array.from({ length: 64 }, (_, i) => `*a*a${i}`).join(',') + '}', 'a'.repeat(500)],
      ['**/'.repeat(30) + 'x', 'a/'.repeat(500)],
    ])('does not freeze explain() or dispatch: %s against a long name', (glob, name) => {
      const policy = onThreads(glob);
      const task = named(name);
      let explained: unknown;
      let decided: unknown;
      const ms = elapsedMs(() => {
        explained = policy.explain(task).rule;
        decided = policy.decide(task).rule;
      });
      expect([explained, decided]).toEqual([undefined, undefined]);
      expect(ms).toBeLessThan(5_000);
    });

    it('still matches the long name it fits', () => {
      const policy = onThreads('*a'.repeat(10) + 'b');
      expect(policy.explain(named('a'.repeat(40) + 'b')).rule).toBe('hostile');
    });
  });

  describe('the syntax the docs promise', () => {
    it.each([
      ['resize*', 'resize', true],
      ['resize*', 'resizeJpeg', true],
      ['resize*', 'cropResize', false],
      ['{resize,crop}', 'resize', true],
      ['{resize,crop}', 'crop', true],
      ['{resize,crop}', 'resizeJpeg', false],
      ['{resize,crop}*', 'cropPng', true],
      ['*', 'anything', true],
      ['*', '.hidden', true],
      ['*', 'a/b', false],
      ['**', 'a/b/c', true],
      ['img/**', 'img', true],
      ['img/**', 'img/a/b', true],
      ['img/**', 'imgs', false],
      ['**/resize', 'resize', true],
      ['**/resize', 'img/png/resize', true],
      ['img/**/resize', 'img/resize', true],
      ['img/**/resize', 'img/a/b/resize', true],
      ['img/*', 'img/a/b', false],
      ['a**', 'abc', true],
      ['a**', 'ab/c', false],
      ['***', 'a/b', false],
      ['task?', 'task1', true],
      ['task?', 'task', false],
      ['task?', 'task12', false],
      ['a?c', 'a/c', false],
      ['task[0-9]', 'task7', true],
      ['task[0-9]', 'taskx', false],
      ['task[^0-9]', 'taskx', true],
      ['task[^0-9]', 'task7', false],
      ['task[^0-9]', 'task/', false],
      ['[]a]', ']', true],
      ['[a-]', '-', true],
      ['[\\!a]', '!', true],
      ['x{a,b{c,d}}', 'xbd', true],
      ['x{a,b{c,d}}', 'xb', false],
      ['resize{,2}', 'resize', true],
      ['resize{,2}', 'resize2', true],
      ['!internal*', 'internalSweep', false],
      ['!internal*', 'resize', true],
      ['a!b', 'a!b', true],
      ['a\\*', 'a*', true],
      ['a\\*', 'ab', false],
      ['a\\{b,c\\}', 'a{b,c}', true],
      ['a.b', 'axb', false],
      ['a+b', 'a+b', true],
      ['a|b', 'a', false],
      ['$x^', '$x^', true],
      ['}', '}', true],
      ['a,b', 'a,b', true],
    ])('%s against %s: %s', (glob, name, matches) => {
      expect(onThreads(glob).decide(named(name)).rule === 'hostile').toBe(matches);
    });
  });

  describe('syntax the docs do not promise', () => {
    it.each([
      ['an extglob', '@(a|b)'],
      ['a negated extglob', '!(a)'],
      ['a repeated extglob', '+(a)'],
      ['a star extglob', '*(a)'],
      ['an optional extglob', '?(a)'],
      ['a group', '(a|b)'],
      ['a lone closing parenthesis', 'a)'],
      ['`[!…]`, which picomatch read as a set holding `!`', '[!a]'],
      ['a brace range', 'task{1..3}'],
      ['one-item braces', '{a}'],
      ['empty braces', '{}'],
      ['a POSIX class', '[[:alpha:]]'],
      ['an unclosed class', 'resize['],
      ['an empty class', '[]'],
      ['an unclosed brace', '{a,b'],
      ['a reversed range', '[z-a]'],
      ['a trailing backslash', 'x\\'],
      ['a double negation', '!!a'],
      ['a lone negation', '!'],
      ['a leading ./', './a'],
      ['an empty glob', ''],
    ])('refuses %s with PolicyConfigError at the rule’s task path, saying why', (_what, glob) => {
      const issue = taskIssue(glob);
      expect(issue?.path).toBe('/rules/0/match/task');
      expect(issue?.message).toMatch(/^Expected `task` to be a valid glob, got `.*`: \S/s);
    });

    it('refuses the glob of a later rule when reload() brings it, keeping the old rules', () => {
      const policy = onThreads('resize*');
      expect(() => policy.update({ rules: [{ match: { task: 'ok' }, route: 'green' }, { match: { task: '@(a|b)' }, route: 'thread' }] })).toThrow(
        expect.objectContaining({ issues: [expect.objectContaining({ path: '/rules/1/match/task' })] }),
      );
      expect(policy.decide(named('resizeJpeg')).rule).toBe('hostile');
    });
  });
});
