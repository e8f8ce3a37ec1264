import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { greenletControl } from '../../src/green/greenlet.js';
import type { Greenlet } from '../../src/green/greenlet.js';
import { greenletTransitions, isGreenletTransition, type GreenletState } from '../../src/green/greenlet-state.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';
import { nextTurn } from '../helpers/next-turn.js';

afterEach(async () => {
  await nextTurn();
});

/** Every transition the lifecycle tests below observed, as `from -> to`. */
const observed = new Set<string>();

/** Records the distinct states a greenlet goes through, sampled at the checkpoints a test chooses. */
class StateLog {
  readonly states: GreenletState[] = [];
  greenlet: Greenlet<any> | null = null;

  watch(g: Greenlet<any>): void {
    this.greenlet = g;
    this.sample();
  }

  sample(g: Greenlet<any> | null = this.greenlet): void {
    if (g === null) return;
    const s = greenletControl.state(g);
    if (this.states.at(-1) !== s) this.states.push(s);
  }

  /** Every consecutive pair of distinct states the log saw is one transition of the table. */
  illegal(): string[] {
    const bad: string[] = [];
    for (let i = 1; i < this.states.length; i++) {
      const from = this.states[i - 1]!;
      const to = this.states[i]!;
      observed.add(`${from} -> ${to}`);
      if (!isGreenletTransition(from, to)) bad.push(`${from} -> ${to}`);
    }
    return bad;
  }
}

describe('GreenletState', () => {
  describe('the transition table', () => {
    it('lists every state, never a move to the same state, and nothing out of dead', () => {
      const states = Object.keys(greenletTransitions) as GreenletState[];
      expect(states.sort()).toEqual(['dead', 'parked', 'pending', 'queued', 'running']);
      for (const s of states) expect(greenletTransitions[s]).not.toContain(s);
      expect(greenletTransitions.dead).toEqual([]);
    });
  });

  describe('observed lifecycles follow the table', () => {
    it('a generator greenlet: queued, running, queued on a switch, parked on a Deferred, dead', () => {
      const { hub } = makeVirtualHub();
      const log = new StateLog();
      const d = new Deferred<number>();
      const g = hub.spawn(function* () {
        log.sample(hub.getCurrent());
        yield;
        log.sample(hub.getCurrent());
        yield d;
        log.sample(hub.getCurrent());
      });
      log.watch(g);
      hub.flush(1);
      log.sample();
      hub.flush();
      log.sample();
      d.callback(1);
      log.sample();
      hub.flush();
      log.sample();
      expect(log.states).toEqual(['queued', 'running', 'queued', 'running', 'parked', 'queued', 'running', 'dead']);
      expect(log.illegal()).toEqual([]);
    });

    it('a spawnLater greenlet: pending, queued when its timer fires, then runs', () => {
      const { hub, clock } = makeVirtualHub();
      const log = new StateLog();
      const g = hub.spawnLater(10, () => log.sample(hub.getCurrent()));
      log.watch(g);
      clock.advance(10);
      log.sample();
      hub.flush();
      log.sample();
      expect(log.states).toEqual(['pending', 'queued', 'running', 'dead']);
      expect(log.illegal()).toEqual([]);
    });

    it('killed before it started: pending or queued straight to dead', () => {
      const { hub } = makeVirtualHub();
      for (const g of [hub.spawnLater(5, () => 1), hub.spawn(() => 1)]) {
        const log = new StateLog();
        log.watch(g);
        void g.kill();
        log.sample();
        expect(log.states.at(-1)).toBe('dead');
        expect(log.illegal()).toEqual([]);
      }
    });

    it('killed while parked: queued, then running its finally, then dead', () => {
      const { hub } = makeVirtualHub();
      const log = new StateLog();
      const g = hub.spawn(function* () {
        try {
          log.sample(hub.getCurrent());
          yield new Deferred<void>();
        } finally {
          log.sample(hub.getCurrent());
        }
      });
      log.watch(g);
      hub.flush();
      log.sample();
      void g.kill();
      log.sample();
      hub.flush();
      log.sample();
      expect(log.states).toEqual(['queued', 'running', 'parked', 'queued', 'running', 'dead']);
      expect(log.illegal()).toEqual([]);
    });

    it('an async greenlet: running across its hub waits, parked on an awaited sleep, dead', async () => {
      const { hub, clock } = makeVirtualHub();
      const log = new StateLog();
      const g = hub.spawn(async () => {
        log.sample(hub.getCurrent());
        await hub.sleep(5);
        log.sample(hub.getCurrent());
      });
      log.watch(g);
      hub.flush();
      await Promise.resolve();
      await Promise.resolve();
      log.sample();
      clock.advance(5);
      log.sample();
      await g;
      log.sample();
      expect(log.states).toEqual(['queued', 'running', 'parked', 'queued', 'running', 'dead']);
      expect(log.illegal()).toEqual([]);
    });

    it('an async greenlet whose race over a hub wait is won by something foreign: parked, then dead', async () => {
      const { hub } = makeVirtualHub();
      const log = new StateLog();
      const foreign = new Deferred<string>();
      const g = hub.spawn(async () => {
        log.sample(hub.getCurrent());
        return Promise.race([hub.sleep(1_000), foreign]);
      });
      log.watch(g);
      hub.flush();
      await nextTurn();
      log.sample();
      foreign.callback('foreign won');
      await g;
      log.sample();
      expect(g.value).toBe('foreign won');
      expect(log.states).toEqual(['queued', 'running', 'parked', 'dead']);
      expect(log.illegal()).toEqual([]);
    });
  });
});

// The table lists no transition that cannot happen: the lifecycles above, together, take every one of them.
afterAll(() => {
  const table = Object.entries(greenletTransitions).flatMap(([from, tos]) => tos.map((to) => `${from} -> ${to}`));
  expect([...observed].sort()).toEqual(table.sort());
});
