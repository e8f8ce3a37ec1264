import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { describe, expect, it } from '@jest/globals';
import { succeed } from '../../src/deferred/succeed.js';
import { GreenPool } from '../../src/green/green-pool.js';
import { Hub } from '../../src/green/hub.js';
import { joinAll } from '../../src/green/join-all.js';
import { Reactor } from '../../src/reactor/reactor.js';
import { nextTurn } from '../helpers/next-turn.js';

const requests = 20;

/** A real (foreign) timer, as an async greenlet doing I/O would await. */
function realTimer(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('Hub', () => {
  describe('async context (SPEC §10)', () => {
    it(`${requests} concurrent requests each see their own store in their greenlets, first step and after switches`, async () => {
      const als = new AsyncLocalStorage<number>();
      const hub = new Hub();
      const pool = new GreenPool(1, hub); // admissions happen when another request's greenlet frees the slot
      const wrong: string[] = [];
      const check = (id: number, where: string): void => {
        const seen = als.getStore();
        if (seen !== id) wrong.push(`request ${id} ${where} saw ${String(seen)}`);
      };
      const request = async (id: number): Promise<void> => {
        await nextTurn(); // the requests interleave on the loop, each in its own context
        const greenlets = [
          hub.spawn(function* generator() {
            check(id, 'generator step 1');
            yield;
            check(id, 'generator step 2');
            yield succeed(undefined);
            yield hub.sleep(1);
            check(id, 'generator after sleep');
          }),
          hub.spawn(async function asyncGreenlet() {
            check(id, 'async step 1');
            await hub.cooperate();
            check(id, 'async after cooperate');
            await realTimer(1);
            check(id, 'async after a foreign await');
            await hub.sleep(1);
            check(id, 'async after sleep');
          }),
          hub.spawn(function plain() {
            check(id, 'plain');
          }),
          hub.spawnLater(1, function* later() {
            check(id, 'spawnLater');
            yield;
            check(id, 'spawnLater step 2');
          }),
          pool.spawn(function* pooled() {
            check(id, 'pool admission');
            yield;
            check(id, 'pooled step 2');
          }),
        ];
        await joinAll(greenlets, { hub });
      };
      await Promise.all(Array.from({ length: requests }, (_, id) => als.run(id, () => request(id))));
      expect(wrong).toEqual([]);
    });

    it('greenlets spawned one after another on one resource never get an earlier spawn\'s context once a store changed', async () => {
      const known = new AsyncLocalStorage<string>();
      known.run('warm-up', () => undefined);
      const hub = new Hub();
      const seen: string[] = [];
      const spawnReporting = (label: string, newcomer?: AsyncLocalStorage<string>): ReturnType<Hub['spawn']> =>
        hub.spawn(function* () {
          yield;
          seen.push(`${label}:${String(known.getStore())}:${String(newcomer?.getStore())}`);
        });
      // Everything below runs synchronously on one execution resource, as a loop spawning greenlets does.
      const greenlets = new AsyncResource('test').runInAsyncScope(() => {
        const newcomer = new AsyncLocalStorage<string>(); // no capture has seen it yet
        const list = [
          spawnReporting('plain'),
          known.run('a', () => spawnReporting('in a')),
          known.run('b', () => spawnReporting('in b')),
          spawnReporting('plain again'),
          newcomer.run('n', () => spawnReporting('newcomer', newcomer)),
        ];
        known.enterWith('entered');
        list.push(spawnReporting('entered'));
        return list;
      });
      await joinAll(greenlets, { hub });
      expect(seen).toEqual([
        'plain:undefined:undefined',
        'in a:a:undefined',
        'in b:b:undefined',
        'plain again:undefined:undefined',
        'newcomer:undefined:n',
        'entered:entered:undefined',
      ]);
    });

    it('a child greenlet sees its parent stores; als.run inside a greenlet scopes to it, not its siblings', async () => {
      const als = new AsyncLocalStorage<string>();
      const hub = new Hub();
      const seen: Array<string | undefined> = [];
      await als.run('parent', async () => {
        const parent = hub.spawn(function* () {
          const child = hub.spawn(function* () {
            yield;
            seen.push(`child:${String(als.getStore())}`);
          });
          const scoped = als.run('scoped', () => hub.spawn(() => seen.push(`scoped child:${String(als.getStore())}`)));
          yield;
          seen.push(`parent:${String(als.getStore())}`);
          yield joinAll([child, scoped], { hub });
        });
        const sibling = hub.spawn(function* () {
          yield;
          seen.push(`sibling:${String(als.getStore())}`);
        });
        await joinAll([parent, sibling], { hub });
      });
      expect(seen.sort()).toEqual(['child:parent', 'parent:parent', 'scoped child:scoped', 'sibling:parent']);
    });
  });
});

describe('Reactor', () => {
  describe('.callLater()', () => {
    it(`runs each call in the context of its caller, for ${requests} concurrent callers (as setTimeout does)`, async () => {
      const als = new AsyncLocalStorage<number>();
      const reactor = new Reactor();
      const wrong: string[] = [];
      const request = (id: number): Promise<void> =>
        new Promise<void>((resolve) => {
          reactor.callLater(1, () => {
            if (als.getStore() !== id) wrong.push(`caller ${id} saw ${String(als.getStore())}`);
            resolve();
          });
        });
      await Promise.all(Array.from({ length: requests }, (_, id) => als.run(id, () => request(id))));
      await reactor.stop();
      expect(wrong).toEqual([]);
    });
  });
});
