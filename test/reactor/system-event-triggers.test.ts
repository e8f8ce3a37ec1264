import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { Reactor } from '../../src/reactor/reactor.js';
import type { TriggerId } from '../../src/reactor/system-event-triggers.js';
import { Clock } from '../../src/time/clock.js';
import { nextTurn } from '../helpers/next-turn.js';

function makeReactor(): { reactor: Reactor; errors: Array<[unknown, string]> } {
  const errors: Array<[unknown, string]> = [];
  const reactor = new Reactor({ clock: new Clock(), onError: (error, where) => errors.push([error, where]) });
  return { reactor, errors };
}

describe('Reactor', () => {
  describe('.addSystemEventTrigger()', () => {
    it('runs the phases in order: before, during, after', async () => {
      const { reactor } = makeReactor();
      const seen: string[] = [];
      reactor.addSystemEventTrigger('after', 'shutdown', () => seen.push('after'));
      reactor.addSystemEventTrigger('during', 'shutdown', () => seen.push('during'));
      reactor.addSystemEventTrigger('before', 'shutdown', () => seen.push('before'));
      await reactor.stop();
      expect(seen).toEqual(['before', 'during', 'after']);
    });

    it('runs each phase in registration order, with the extra arguments', async () => {
      const { reactor } = makeReactor();
      const seen: string[] = [];
      for (const phase of ['before', 'during', 'after'] as const) {
        for (const n of [1, 2, 3]) {
          reactor.addSystemEventTrigger(phase, 'shutdown', (p: string, i: number) => seen.push(`${p}${i}`), phase, n);
        }
      }
      await reactor.stop();
      expect(seen).toEqual(['before1', 'before2', 'before3', 'during1', 'during2', 'during3', 'after1', 'after2', 'after3']);
    });

    it('runs the before triggers synchronously inside stop()', () => {
      const { reactor } = makeReactor();
      let ran = false;
      reactor.addSystemEventTrigger('before', 'shutdown', () => (ran = true));
      void reactor.stop();
      expect(ran).toBe(true);
    });

    it('holds the later phases until a Deferred returned by a before trigger fires', async () => {
      const { reactor } = makeReactor();
      const seen: string[] = [];
      const gate = new Deferred<string>();
      reactor.addSystemEventTrigger('before', 'shutdown', () => gate);
      reactor.addSystemEventTrigger('before', 'shutdown', () => seen.push('before2'));
      reactor.addSystemEventTrigger('during', 'shutdown', () => seen.push('during'));
      let stopped = false;
      const stopping = reactor.stop().then(() => (stopped = true));
      await nextTurn();
      expect(seen).toEqual(['before2']);
      expect(stopped).toBe(false);
      gate.callback('flushed');
      await stopping;
      expect(seen).toEqual(['before2', 'during']);
    });

    it('holds the later phases until a returned Promise settles', async () => {
      const { reactor } = makeReactor();
      const seen: string[] = [];
      let release!: () => void;
      reactor.addSystemEventTrigger('before', 'shutdown', () => new Promise<void>((resolve) => (release = resolve)));
      reactor.addSystemEventTrigger('after', 'shutdown', () => seen.push('after'));
      const stopping = reactor.stop();
      await nextTurn();
      expect(seen).toEqual([]);
      release();
      await stopping;
      expect(seen).toEqual(['after']);
    });

    it('holds the later phases until a returned bare thenable settles', async () => {
      const { reactor } = makeReactor();
      const seen: string[] = [];
      let release: ((value: unknown) => void) | undefined;
      const thenable: PromiseLike<unknown> = {
        then(onFulfilled) {
          release = onFulfilled as (value: unknown) => void;
          return thenable as never;
        },
      };
      reactor.addSystemEventTrigger('before', 'shutdown', () => thenable);
      reactor.addSystemEventTrigger('during', 'shutdown', () => seen.push('during'));
      const stopping = reactor.stop();
      await nextTurn();
      expect(seen).toEqual([]);
      release?.('done');
      await stopping;
      expect(seen).toEqual(['during']);
    });

    it('reports a failed Deferred from a before trigger and goes on with the shutdown', async () => {
      const { reactor, errors } = makeReactor();
      const seen: string[] = [];
      const gate = new Deferred<void>();
      const boom = new Error('flush failed');
      reactor.addSystemEventTrigger('before', 'shutdown', () => gate);
      reactor.addSystemEventTrigger('during', 'shutdown', () => seen.push('during'));
      const stopping = reactor.stop();
      gate.errback(boom);
      await stopping;
      expect(seen).toEqual(['during']);
      expect(errors).toEqual([[boom, expect.stringContaining("'before' shutdown trigger")]]);
    });

    it('reports a throwing trigger and still runs the rest, in every phase', async () => {
      const { reactor, errors } = makeReactor();
      const seen: string[] = [];
      const boom = new Error('boom');
      for (const phase of ['before', 'during', 'after'] as const) {
        reactor.addSystemEventTrigger(phase, 'shutdown', function thrower() {
          throw boom;
        });
        reactor.addSystemEventTrigger(phase, 'shutdown', () => seen.push(phase));
      }
      await reactor.stop();
      expect(seen).toEqual(['before', 'during', 'after']);
      expect(errors.map(([error, where]) => [error, where.split(' ')[0]])).toEqual([
        [boom, "'before'"],
        [boom, "'during'"],
        [boom, "'after'"],
      ]);
      expect(errors[0]?.[1]).toContain('thrower');
    });

    it('runs a trigger added to the phase that is running', async () => {
      const { reactor } = makeReactor();
      const seen: string[] = [];
      reactor.addSystemEventTrigger('during', 'shutdown', () => {
        seen.push('first');
        reactor.addSystemEventTrigger('during', 'shutdown', () => seen.push('added'));
      });
      reactor.addSystemEventTrigger('during', 'shutdown', () => seen.push('second'));
      await reactor.stop();
      expect(seen).toEqual(['first', 'second', 'added']);
    });

    it('never runs a trigger added after its phase ran', async () => {
      const { reactor } = makeReactor();
      let ran = false;
      await reactor.stop();
      reactor.addSystemEventTrigger('before', 'shutdown', () => (ran = true));
      await reactor.stop();
      expect(ran).toBe(false);
    });

    it('runs each trigger once however often stop() is called', async () => {
      const { reactor } = makeReactor();
      let count = 0;
      reactor.addSystemEventTrigger('after', 'shutdown', () => count++);
      await Promise.all([reactor.stop(), reactor.stop()]);
      await reactor.stop();
      expect(count).toBe(1);
    });

    it('gives a stop() made from a before trigger the same promise, and holds the later phases for the other before triggers', async () => {
      const { reactor, errors } = makeReactor();
      const seen: string[] = [];
      const gate = new Deferred<void>();
      let again: Promise<void> | undefined;
      reactor.addSystemEventTrigger('before', 'shutdown', () => {
        again = reactor.stop();
      });
      reactor.addSystemEventTrigger('before', 'shutdown', () => {
        seen.push('before');
        return gate;
      });
      reactor.addSystemEventTrigger('during', 'shutdown', () => seen.push('during'));
      reactor.addSystemEventTrigger('after', 'shutdown', () => seen.push('after'));
      const stopping = reactor.stop();
      const same = again === stopping;
      await nextTurn();
      expect(seen).toEqual(['before']); // the pools are still open and the later phases wait for the gate
      gate.callback(undefined);
      await stopping;
      expect(seen).toEqual(['before', 'during', 'after']);
      expect(same).toBe(true);
      expect(errors).toEqual([]);
    });

    it('ends when a before trigger returns the stop() promise itself (it is not waited for: it waits for the triggers)', async () => {
      const { reactor, errors } = makeReactor();
      const seen: string[] = [];
      reactor.addSystemEventTrigger('before', 'shutdown', () => reactor.stop());
      reactor.addSystemEventTrigger('after', 'shutdown', () => seen.push('after'));
      await reactor.stop();
      expect(seen).toEqual(['after']);
      expect(errors).toEqual([]);
    });

    it.each([
      ['phase', 'later', 'shutdown'],
      ['event', 'before', 'startup'],
    ])('throws TypeError for an unknown %s', (name, phase, event) => {
      const { reactor } = makeReactor();
      expect(() => reactor.addSystemEventTrigger(phase as never, event as never, () => undefined)).toThrow(TypeError);
      expect(() => reactor.addSystemEventTrigger(phase as never, event as never, () => undefined)).toThrow(`\`${name}\``);
    });

    it('throws TypeError when fn is not a function', () => {
      const { reactor } = makeReactor();
      expect(() => reactor.addSystemEventTrigger('before', 'shutdown', null as never)).toThrow(TypeError);
    });
  });

  describe('.removeSystemEventTrigger()', () => {
    it('keeps a removed trigger from running', async () => {
      const { reactor } = makeReactor();
      const seen: string[] = [];
      reactor.addSystemEventTrigger('before', 'shutdown', () => seen.push('kept'));
      const id = reactor.addSystemEventTrigger('before', 'shutdown', () => seen.push('removed'));
      reactor.removeSystemEventTrigger(id);
      await reactor.stop();
      expect(seen).toEqual(['kept']);
    });

    it('keeps a trigger removed by an earlier one of the same phase from running', async () => {
      const { reactor } = makeReactor();
      const seen: string[] = [];
      const ids: { later?: TriggerId } = {};
      reactor.addSystemEventTrigger('after', 'shutdown', () => reactor.removeSystemEventTrigger(ids.later as TriggerId));
      ids.later = reactor.addSystemEventTrigger('after', 'shutdown', () => seen.push('later'));
      await reactor.stop();
      expect(seen).toEqual([]);
    });

    it('throws TypeError for an id removed before', () => {
      const { reactor } = makeReactor();
      const id = reactor.addSystemEventTrigger('during', 'shutdown', () => undefined);
      reactor.removeSystemEventTrigger(id);
      expect(() => reactor.removeSystemEventTrigger(id)).toThrow(TypeError);
    });

    it('throws TypeError for an id it never made', () => {
      const { reactor } = makeReactor();
      expect(() => reactor.removeSystemEventTrigger(12345 as TriggerId)).toThrow(TypeError);
    });

    it("throws TypeError for another reactor's id", () => {
      const { reactor } = makeReactor();
      const other = makeReactor().reactor;
      for (let i = 0; i < 3; i++) {
        reactor.addSystemEventTrigger('during', 'shutdown', () => undefined);
        other.addSystemEventTrigger('during', 'shutdown', () => undefined);
      }
      const id = other.addSystemEventTrigger('during', 'shutdown', () => undefined);
      expect(() => reactor.removeSystemEventTrigger(id)).toThrow(TypeError);
    });

    it('accepts removing a trigger that already ran, once', async () => {
      const { reactor } = makeReactor();
      const id = reactor.addSystemEventTrigger('after', 'shutdown', () => undefined);
      await reactor.stop();
      expect(() => reactor.removeSystemEventTrigger(id)).not.toThrow();
      expect(() => reactor.removeSystemEventTrigger(id)).toThrow(TypeError);
    });
  });
});
