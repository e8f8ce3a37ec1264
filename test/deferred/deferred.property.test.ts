import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Deferred } from '../../src/deferred/deferred.js';
import { Failure } from '../../src/deferred/failure.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';
import { nextTurn } from '../helpers/next-turn.js';

/** What a handler does with what it receives. */
type Action =
  | 'return'
  | 'throw'
  | 'return-failure'
  | 'fired-success'
  | 'fired-failure'
  | 'later-success'
  | 'later-failure'
  | 'sync-thenable'
  | 'promise-success'
  | 'promise-failure';

/** Which side(s) of the link the handler sits on. */
type Side = 'callback' | 'errback' | 'both';

interface Step {
  side: Side;
  action: Action;
}

type Outcome = { ok: true; value: string } | { ok: false; error: string };

const actions: Action[] = [
  'return',
  'throw',
  'return-failure',
  'fired-success',
  'fired-failure',
  'later-success',
  'later-failure',
  'sync-thenable',
];
const stepArb = fc.record({
  side: fc.constantFrom<Side>('callback', 'errback', 'both'),
  action: fc.constantFrom(...actions),
});
const asyncStepArb = fc.record({
  side: fc.constantFrom<Side>('callback', 'errback', 'both'),
  action: fc.constantFrom<Action>(...actions, 'promise-success', 'promise-failure'),
});

/** The reference interpreter: Twisted's chain rules, written as plainly as possible. */
function interpret(start: Outcome, steps: Step[]): Outcome {
  let state = start;
  steps.forEach((step, i) => {
    const runs = step.side === 'both' || (step.side === 'callback') === state.ok;
    if (!runs) return;
    const input = state.ok ? state.value : `E(${state.error})`;
    switch (step.action) {
      case 'return':
      case 'sync-thenable':
        state = { ok: true, value: `${input}>${i}` };
        break;
      case 'fired-success':
      case 'later-success':
      case 'promise-success':
        state = { ok: true, value: `${input}>d${i}` };
        break;
      case 'throw':
        state = { ok: false, error: `t${i}` };
        break;
      case 'return-failure':
        state = { ok: false, error: `f${i}` };
        break;
      case 'fired-failure':
      case 'later-failure':
      case 'promise-failure':
        state = { ok: false, error: `df${i}` };
        break;
    }
  });
  return state;
}

/** Build the real handler for step `i`; inner Deferreds fired later go to `later`. */
function handler(step: Step, i: number, later: Array<() => void>, inners: Array<Deferred<string>>) {
  return (result: unknown): unknown => {
    const input = result instanceof Failure ? `E(${String(result.value)})` : String(result);
    switch (step.action) {
      case 'return':
        return `${input}>${i}`;
      case 'sync-thenable':
        return { then: (ok: (v: string) => void) => ok(`${input}>${i}`) };
      case 'throw':
        throw `t${i}`;
      case 'return-failure':
        return new Failure(`f${i}`);
      case 'promise-success':
        return Promise.resolve(`${input}>d${i}`);
      case 'promise-failure':
        return Promise.reject(`df${i}`);
      case 'fired-success':
      case 'fired-failure':
      case 'later-success':
      case 'later-failure': {
        const inner = new Deferred<string>();
        inners.push(inner);
        const fire = (): void => {
          if (step.action.endsWith('success')) inner.callback(`${input}>d${i}`);
          else inner.errback(`df${i}`);
        };
        if (step.action.startsWith('fired')) fire();
        else later.push(fire);
        return inner;
      }
    }
  };
}

function attach(d: Deferred<unknown>, step: Step, fn: (r: unknown) => unknown): void {
  if (step.side === 'callback') d.addCallback(fn);
  else if (step.side === 'errback') d.addErrback(fn);
  else d.addBoth(fn);
}

function outcomeOf(d: Deferred<unknown>): Outcome {
  if (!d.called || d.paused) throw new Error('chain did not finish');
  try {
    return { ok: true, value: String(successResultOf(d)) };
  } catch {
    return { ok: false, error: String(failureResultOf(d).value) };
  }
}

describe('Deferred chain rules (property)', () => {
  it('give the same outcome as a reference interpreter for random chains', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(stepArb, { maxLength: 25 }),
        fc.nat(25),
        fc.boolean(),
        (startOk, steps, fireAt, pauseAroundFire) => {
          const later: Array<() => void> = [];
          const inners: Array<Deferred<string>> = [];
          const d = new Deferred<unknown>();
          const split = Math.min(fireAt, steps.length);
          steps.forEach((step, i) => {
            if (i === split) {
              if (pauseAroundFire) d.pause();
              if (startOk) d.callback('s');
              else d.errback('e');
              if (pauseAroundFire) d.unpause();
            }
            attach(d, step, handler(step, i, later, inners));
            // Inner Deferreds fired later: fire the one the chain waits on before adding the next handler,
            // sometimes; otherwise they are fired at the end.
            if (i % 3 === 0) while (later.length > 0) later.shift()!();
          });
          if (split >= steps.length) {
            if (startOk) d.callback('s');
            else d.errback('e');
          }
          while (later.length > 0) later.shift()!();
          const expected = interpret(startOk ? { ok: true, value: 's' } : { ok: false, error: 'e' }, steps);
          expect(outcomeOf(d)).toEqual(expected);
          // Hand-over rule: every inner Deferred gave its result away.
          for (const inner of inners) expect(successResultOf(inner)).toBeUndefined();
        },
      ),
      { numRuns: 500 },
    );
  });

  it('give the same outcome as the reference interpreter when handlers also return Promises', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(asyncStepArb, { maxLength: 15 }), async (startOk, steps) => {
        const later: Array<() => void> = [];
        const inners: Array<Deferred<string>> = [];
        const d = new Deferred<unknown>();
        steps.forEach((step, i) => attach(d, step, handler(step, i, later, inners)));
        if (startOk) d.callback('s');
        else d.errback('e');
        // Each round settles the Promises returned so far (their microtasks run before the next macrotask)
        // and fires the inner Deferreds the chain waits on; every round takes at least one step.
        for (let round = 0; round <= steps.length && (d.paused || later.length > 0); round++) {
          while (later.length > 0) later.shift()!();
          await nextTurn();
        }
        const expected = interpret(startOk ? { ok: true, value: 's' } : { ok: false, error: 'e' }, steps);
        expect(outcomeOf(d)).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });
});
