import { describe, expect, it } from '@jest/globals';
import { ActiveRuns, type ActiveLinks } from '../../src/threads/active-runs.js';

class Item implements ActiveLinks<Item> {
  activePrev: Item | undefined = undefined;
  activeNext: Item | undefined = undefined;
  constructor(readonly name: string) {}
}

const names = (list: ActiveRuns<Item>): string[] => list.toArray().map((item) => item.name);

describe('ActiveRuns', () => {
  describe('.add() / .delete()', () => {
    it('keeps the items in the order they were added, whichever ones leave (first, middle, last, only)', () => {
      const list = new ActiveRuns<Item>();
      const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => new Item(name)) as [Item, Item, Item, Item];
      for (const item of [a, b, c, d]) list.add(item);
      expect(names(list)).toEqual(['a', 'b', 'c', 'd']);
      expect(list.delete(b)).toBe(true);
      expect(names(list)).toEqual(['a', 'c', 'd']);
      expect(list.delete(a)).toBe(true);
      expect(names(list)).toEqual(['c', 'd']);
      expect(list.delete(d)).toBe(true);
      expect(names(list)).toEqual(['c']);
      list.add(b);
      expect(names(list)).toEqual(['c', 'b']);
      expect(list.delete(c)).toBe(true);
      expect(list.delete(b)).toBe(true);
      expect(names(list)).toEqual([]);
      expect(list.size).toBe(0);
    });

    it('does nothing when an item that is not in the list (or left it already) is deleted', () => {
      const list = new ActiveRuns<Item>();
      const [a, b, stranger] = ['a', 'b', 'x'].map((name) => new Item(name)) as [Item, Item, Item];
      list.add(a);
      list.add(b);
      expect(list.delete(stranger)).toBe(false);
      expect(list.delete(a)).toBe(true);
      expect(list.delete(a)).toBe(false);
      expect(list.size).toBe(1);
      expect(names(list)).toEqual(['b']);
    });
  });

  describe('.toArray()', () => {
    it('is a copy: deleting every item while going through it reaches them all', () => {
      const list = new ActiveRuns<Item>();
      for (const name of ['a', 'b', 'c']) list.add(new Item(name));
      const seen: string[] = [];
      for (const item of list.toArray()) {
        seen.push(item.name);
        list.delete(item);
      }
      expect(seen).toEqual(['a', 'b', 'c']);
      expect(list.size).toBe(0);
    });
  });
});
