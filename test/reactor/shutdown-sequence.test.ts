import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { ShutdownSequence } from '../../src/reactor/shutdown-sequence.js';
import { SystemEventTriggers } from '../../src/reactor/system-event-triggers.js';
import { nextTurn } from '../helpers/next-turn.js';

function makeSequence(): { triggers: SystemEventTriggers; sequence: ShutdownSequence; errors: Array<[unknown, string]> } {
  const errors: Array<[unknown, string]> = [];
  const report = (error: unknown, where: string): void => {
    errors.push([error, where]);
  };
  const triggers = new SystemEventTriggers(report);
  return { triggers, sequence: new ShutdownSequence(triggers, report), errors };
}

describe('ShutdownSequence', () => {
  describe('.run()', () => {
    it('closes the components after the before triggers and before the during triggers, with graceMs', async () => {
      const { triggers, sequence } = makeSequence();
      const seen: string[] = [];
      triggers.add('before', 'shutdown', () => seen.push('before'), []);
      triggers.add('during', 'shutdown', () => seen.push('during'), []);
      triggers.add('after', 'shutdown', () => seen.push('after'), []);
      sequence.addComponent({ name: 'pool', shutdown: async (graceMs) => void seen.push(`pool(${graceMs})`) });
      sequence.addComponent({ name: 'hub', shutdown: async (graceMs) => void seen.push(`hub(${graceMs})`) });
      await sequence.run(250);
      expect(seen).toEqual(['before', 'pool(250)', 'hub(250)', 'during', 'after']);
    });

    it('starts no component before a before trigger’s Deferred fires', async () => {
      const { triggers, sequence } = makeSequence();
      const gate = new Deferred<void>();
      let closed = false;
      triggers.add('before', 'shutdown', () => gate, []);
      sequence.addComponent({ name: 'pool', shutdown: async () => void (closed = true) });
      const done = sequence.run(0);
      await nextTurn();
      expect(closed).toBe(false);
      gate.callback(undefined);
      await done;
      expect(closed).toBe(true);
    });

    it('waits for every component to finish before the during triggers', async () => {
      const { triggers, sequence } = makeSequence();
      const seen: string[] = [];
      let finish!: () => void;
      sequence.addComponent({ name: 'slow', shutdown: () => new Promise<void>((resolve) => (finish = resolve)) });
      triggers.add('during', 'shutdown', () => seen.push('during'), []);
      const done = sequence.run(0);
      await nextTurn();
      expect(seen).toEqual([]);
      finish();
      await done;
      expect(seen).toEqual(['during']);
    });

    it('reports a component that fails to shut down and goes on', async () => {
      const { triggers, sequence, errors } = makeSequence();
      const seen: string[] = [];
      const boom = new Error('pool stuck');
      sequence.addComponent({ name: 'thread pool', shutdown: () => Promise.reject(boom) });
      sequence.addComponent({
        name: 'hub',
        shutdown: () => {
          throw boom;
        },
      });
      triggers.add('after', 'shutdown', () => seen.push('after'), []);
      await sequence.run(0);
      expect(seen).toEqual(['after']);
      // Components close together, so the reports come in completion order.
      expect(errors).toHaveLength(2);
      expect(errors).toEqual(
        expect.arrayContaining([
          [boom, 'shutdown of the thread pool'],
          [boom, 'shutdown of the hub'],
        ]),
      );
    });
  });
});
