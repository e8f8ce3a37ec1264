import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Clock } from '../../src/time/clock.js';

/** One step of a random schedule: a new call, a reset, a delay, a cancel, or an advance of the clock. */
type Op =
  | { op: 'schedule'; ms: number }
  | { op: 'reset'; pick: number; ms: number }
  | { op: 'delay'; pick: number; ms: number }
  | { op: 'cancel'; pick: number }
  | { op: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('schedule' as const), ms: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ op: fc.constant('reset' as const), pick: fc.nat(), ms: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ op: fc.constant('delay' as const), pick: fc.nat(), ms: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 10 }) }),
);

describe('CallQueue (through Clock)', () => {
  it('runs calls in (due time, scheduling order) under any mix of reset, delay and cancel', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const clock = new Clock();
        // Reference model: id → due time of each pending call; ids grow in scheduling order.
        const model = new Map<number, number>();
        const calls: Array<ReturnType<Clock['callLater']>> = [];
        const ran: number[] = [];
        const expected: number[] = [];
        const runModel = (until: number): void => {
          const due = [...model].filter(([, t]) => t <= until).sort(([ia, ta], [ib, tb]) => ta - tb || ia - ib);
          for (const [id] of due) {
            model.delete(id);
            expected.push(id);
          }
        };
        for (const step of ops) {
          const pending = [...model.keys()];
          const target = pending.length === 0 || !('pick' in step) ? undefined : (pending[step.pick % pending.length] as number);
          if (step.op === 'schedule') {
            const id = calls.length;
            calls.push(clock.callLater(step.ms, () => ran.push(id)));
            model.set(id, clock.now() + step.ms);
          } else if (step.op === 'advance') {
            runModel(clock.now() + step.ms);
            clock.advance(step.ms);
          } else if (target !== undefined) {
            const call = calls[target] as ReturnType<Clock['callLater']>;
            if (step.op === 'reset') {
              call.reset(step.ms);
              model.set(target, clock.now() + step.ms);
            } else if (step.op === 'delay') {
              call.delay(step.ms);
              model.set(target, (model.get(target) as number) + step.ms);
            } else {
              call.cancel();
              model.delete(target);
            }
          }
        }
        expect(clock.getDelayedCalls().map((c) => calls.indexOf(c))).toEqual(
          [...model].sort(([ia, ta], [ib, tb]) => ta - tb || ia - ib).map(([id]) => id),
        );
        runModel(Number.MAX_SAFE_INTEGER);
        clock.advance(1_000);
        expect(ran).toEqual(expected);
      }),
    );
  });
});
