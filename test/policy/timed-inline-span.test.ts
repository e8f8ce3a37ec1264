import { jest, describe, it, expect } from '@jest/globals';

// The Deferred that `succeed` makes of a plain result is where the inline route allocates; a scavenge that allocation
// starts is a pause of the whole process. The mock plays that pause: making the Deferred moves the wall clock by
// `pauseMs`, and notes how many clock reads came before it.
let wall = 0;
let reads = 0;
let pauseMs = 0;
const madeAfterReads: number[] = [];
const { Deferred } = await import('../../src/deferred/deferred.js');
jest.unstable_mockModule('../../src/deferred/succeed.js', () => ({
  succeed: <T>(value: T): InstanceType<typeof Deferred<T>> => {
    madeAfterReads.push(reads);
    wall += pauseMs;
    const d = new Deferred<T>();
    d.callback(value);
    return d;
  },
}));
const { Clock } = await import('../../src/time/clock.js');
const { defineTask } = await import('../../src/task/task.js');
const { Policy } = await import('../../src/policy/policy.js');
const { PolicyDispatcher } = await import('../../src/policy/policy-dispatcher.js');

const tiny = defineTask(import.meta.url, 'tinySpan', (n: number) => n + 1, { kind: 'io' });
const holds = defineTask(import.meta.url, 'holdsSpan', (ms: number) => (wall += ms), { kind: 'io' });

/** A dispatcher whose auto runs tiny inline, every run timed (inlineSampleEvery 1), on the counted fake clock. */
function setUp(): { policy: InstanceType<typeof Policy>; dispatcher: InstanceType<typeof PolicyDispatcher> } {
  wall = 0;
  reads = 0;
  pauseMs = 0;
  madeAfterReads.length = 0;
  const policy = Policy.load({ adaptive: { sampleSize: 4 } });
  const clock = new Clock();
  const unused = (): never => {
    throw new Error('tiny runs inline in these tests');
  };
  const dispatcher = new PolicyDispatcher(
    policy,
    { clock, load: { threadQueue: 0, loopDelayMs: 0 }, threadPool: { run: unused }, spawnDeferred: unused },
    {
      inlineSampleEvery: 1,
      random: () => 0,
      now: () => {
        reads += 1;
        return wall;
      },
    },
  );
  return { policy, dispatcher };
}

describe('PolicyDispatcher', () => {
  describe('a timed inline run of auto', () => {
    it('makes the Deferred of a plain result after the run is timed (both clock reads come first)', () => {
      const { dispatcher } = setUp();
      const d = dispatcher.dispatch(tiny, [1]);
      expect(reads).toBe(2);
      expect(madeAfterReads).toEqual([2]);
      expect(d.called).toBe(true);
    });

    it('does not count a pause while that Deferred is made (a GC its allocation starts) as the task holding the loop', () => {
      const { policy, dispatcher } = setUp();
      for (let i = 0; i < 4; i += 1) dispatcher.dispatch(tiny, [i]); // its in-process window fills
      pauseMs = 50;
      dispatcher.dispatch(tiny, [0]);
      pauseMs = 0;
      for (let i = 0; i < 4; i += 1) dispatcher.dispatch(tiny, [i]);
      expect(policy.decide(tiny).route).toBe('inline');
    });

    it('still counts the function holding the loop itself: such a run sends the task to threads for good', () => {
      const { policy, dispatcher } = setUp();
      for (let i = 0; i < 4; i += 1) dispatcher.dispatch(holds, [0]);
      dispatcher.dispatch(holds, [50]);
      expect(policy.decide(holds)).toEqual({ route: 'thread', reason: 'auto: inline run took 50 ms > 20 ms; on threads for good' });
    });
  });
});
