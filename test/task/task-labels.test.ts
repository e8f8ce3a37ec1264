import { describe, it, expect } from '@jest/globals';
import { byLabel, taskLabels, type TaskFigures } from '../../src/task/task-labels.js';

const t = (module: string, name: string) => ({ id: `${module}#${name}`, name });

describe('taskLabels()', () => {
  it('names a task by its name while no other task shares it', () => {
    expect(taskLabels([t('file:///app/a.js', 'parse'), t('file:///app/a.js', 'render')])).toEqual(
      new Map([
        ['file:///app/a.js#parse', 'parse'],
        ['file:///app/a.js#render', 'render'],
      ]),
    );
  });

  it('adds the shortest tail of the module URL that tells two tasks of one name apart', () => {
    const labels = taskLabels([t('file:///app/src/a/index.js', 'parse'), t('file:///app/src/b/index.js', 'parse'), t('file:///app/c.js', 'parse')]);
    expect([...labels.values()]).toEqual(['parse (a/index.js)', 'parse (b/index.js)', 'parse (c.js)']);
  });

  it("names a plain function (known by its name alone) 'function' beside a Task of its name", () => {
    const labels = taskLabels([{ id: 'parse', name: 'parse' }, t('file:///app/a.js', 'parse')]);
    expect([...labels.values()]).toEqual(['parse (function)', 'parse (a.js)']);
  });

  it('names a repeated id once', () => {
    expect(taskLabels([t('file:///a.js', 'x'), t('file:///a.js', 'x')])).toEqual(new Map([['file:///a.js#x', 'x']]));
  });
});

describe('byLabel()', () => {
  /** Figures by id, as the routes keep them. */
  const byId = (...records: Array<TaskFigures<{ runs: number }>>): Map<string, TaskFigures<{ runs: number }>> =>
    new Map(records.map((r) => [r.task.id, r]));

  it('files the figures of two same-named tasks from two modules under their module-qualified labels', () => {
    const out = byLabel(byId({ task: t('file:///app/a.js', 'parse'), figures: { runs: 1 } }, { task: t('file:///app/b.js', 'parse'), figures: { runs: 2 } }));
    expect(out).toEqual({ 'parse (a.js)': { runs: 1 }, 'parse (b.js)': { runs: 2 } });
  });

  it('files the figures of a task no other shares a name with under its bare name', () => {
    const out = byLabel(
      byId(
        { task: t('file:///app/a.js', 'parse'), figures: { runs: 1 } },
        { task: t('file:///app/b.js', 'parse'), figures: { runs: 2 } },
        { task: t('file:///app/a.js', 'render'), figures: { runs: 3 } },
      ),
    );
    expect(out['render']).toEqual({ runs: 3 });
    expect(Object.keys(out).sort()).toEqual(['parse (a.js)', 'parse (b.js)', 'render']);
  });
});
