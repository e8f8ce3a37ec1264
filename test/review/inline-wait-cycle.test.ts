/**
 * `inlineCallbacks` generators whose waits loop back: a's generator yields b's Deferred and b's yields a's (or the
 * loop runs through a plain Deferred, or through a generator's return value). Nothing on such a loop can ever get a
 * result. `cancel()` passes a generator's cancellation on to what it waits on (`cancelInstead`) and used to stop
 * when the pass-ons came back round, leaving every Deferred on the loop pending for ever. As for a loop of plain
 * waits (`deferred-wait-cycle.test.ts`), the one on the loop that waits on the Deferred reached twice now stops
 * waiting and goes on with `CancelledError` (a generator has it thrown in), so the error travels round the loop and
 * every Deferred on it fires once.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { CancelledError, Deferred, inlineCallbacks, type Failure } from '../../src/index.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';

/**
 * A generator that waits on `gate`, then on what `other()` gives, and returns its result plus one; the name of
 * what is thrown into it at that second wait goes to `thrown`.
 */
const waitOnOther = inlineCallbacks(function* (
  gate: Deferred<number>,
  other: () => Deferred<number>,
  thrown: string[] = [],
): Generator<unknown, number, number> {
  yield gate;
  try {
    return (yield other()) + 1;
  } catch (error) {
    thrown.push((error as Error).name);
    throw error;
  }
});

/** `length` generators, each waiting on the next one's Deferred, the last on the first's. */
function generatorLoop(length: number, thrown: string[] = []): Array<Deferred<number>> {
  const gates = Array.from({ length }, () => new Deferred<number>());
  const outers: Array<Deferred<number>> = [];
  for (let i = 0; i < length; i++) outers.push(waitOnOther(gates[i]!, () => outers[(i + 1) % length]!, thrown));
  for (const gate of gates) gate.callback(0);
  return outers;
}

/** Count each Deferred's outcomes (added before the cancel) and leave its result unchanged. */
function countOutcomes(ds: Array<Deferred<number>>): Array<Array<number | Failure>> {
  return ds.map((d) => {
    const seen: Array<number | Failure> = [];
    d.addBoth((r: number | Failure) => {
      seen.push(r);
      return r;
    });
    return seen;
  });
}

describe('inlineCallbacks()', () => {
  describe('cancel() on generators waiting on each other', () => {
    it.each([
      [2, 0],
      [2, 1],
      [3, 1],
      [1000, 0],
    ])('on a loop of %i, cancelling generator %i throws CancelledError into each and fires each Deferred once', (length, which) => {
      const thrown: string[] = [];
      const outers = generatorLoop(length, thrown);
      const seen = countOutcomes(outers);
      outers[which]!.cancel();
      expect(thrown).toEqual(outers.map(() => 'CancelledError'));
      expect(seen.map((s) => s.length)).toEqual(outers.map(() => 1));
      failureResultOf(outers[which]!, CancelledError); // the one cancelled ends with it, for handlers added later
    });

    it('lets a generator on the loop catch the CancelledError and return a value, which travels round the loop', () => {
      const gateA = new Deferred<number>();
      const outers: Array<Deferred<number>> = [];
      const catching = inlineCallbacks(function* (): Generator<unknown, number, number> {
        yield gateA;
        try {
          return yield outers[1]!;
        } catch {
          return 100;
        }
      });
      const gateB = new Deferred<number>();
      outers.push(catching(), waitOnOther(gateB, () => outers[0]!));
      gateA.callback(0);
      gateB.callback(0);
      const seen = countOutcomes(outers);
      outers[1]!.cancel(); // b is on the loop: a, the one waiting on b, stops waiting
      expect(seen.map((s) => s.length)).toEqual([1, 1]); // a's 100 went to b's generator (Twisted's rule)
      expect(successResultOf(outers[1]!)).toBe(101);
    });

    it.each(['generator', 'plain'] as const)(
      'fires both when the loop runs through a plain Deferred the generator yielded (cancel on the %s one)',
      (which) => {
        const plain = new Deferred<number>();
        const gate = new Deferred<number>();
        const gen = waitOnOther(gate, () => plain);
        plain.addCallback(() => gen); // plain waits on gen, gen's generator on plain
        plain.callback(0);
        gate.callback(0);
        const seen = countOutcomes([gen, plain]);
        const cancelled = which === 'generator' ? gen : plain;
        cancelled.cancel();
        expect(seen.map((s) => s.length)).toEqual([1, 1]);
        failureResultOf(cancelled, CancelledError);
      },
    );

    it.each(['yields', 'returns'] as const)('fires once, with CancelledError, a generator that %s its own Deferred', (how) => {
      const gate = new Deferred<number>();
      const thrown: string[] = [];
      const selfish = inlineCallbacks(function* (): Generator<unknown, unknown, unknown> {
        yield gate;
        if (how === 'returns') return self;
        try {
          return yield self;
        } catch (error) {
          thrown.push((error as Error).name);
          throw error;
        }
      });
      const self: Deferred<unknown> = selfish();
      gate.callback(0);
      const seen = countOutcomes([self as Deferred<number>]);
      self.cancel();
      expect(seen[0]).toHaveLength(1);
      expect(thrown).toEqual(how === 'yields' ? ['CancelledError'] : []);
      failureResultOf(self, CancelledError);
    });

    it('fires both when the loop runs through a Deferred a generator returned', () => {
      const gate = new Deferred<number>();
      const outers: Array<Deferred<number>> = [];
      const returnsOther = inlineCallbacks(function* (): Generator<unknown, Deferred<number>, number> {
        yield gate;
        return outers[1]!; // a's Deferred follows b's; b's generator waits on a's
      });
      const gateB = new Deferred<number>();
      outers.push(returnsOther(), waitOnOther(gateB, () => outers[0]!));
      gate.callback(0);
      gateB.callback(0);
      const seen = countOutcomes(outers);
      outers[1]!.cancel();
      expect(seen.map((s) => s.length)).toEqual([1, 1]);
      failureResultOf(outers[1]!, CancelledError);
    });
  });
});
