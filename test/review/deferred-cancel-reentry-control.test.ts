/**
 * `cancel()` called again while the Deferred's own canceller runs: directly (`d.cancel()` inside it) or round a
 * combinator that holds the Deferred (its canceller cancels the DeferredList / gatherResults / race it is a
 * member of: "cancelling one cancels the group"). SPEC §1 calls the canceller once; a re-entrant `cancel()` that
 * called it again recursed until the stack overflowed, and every Deferred on the way failed with `RangeError`.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { CancelledError, Deferred, DeferredList, FailureGroup, gatherResults, inlineCallbacks, race, type FirstError } from '../../src/index.js';
import { failureResultOf, successResultOf } from '../helpers/deferred-results.js';

describe('Deferred', () => {
  describe('.cancel()', () => {
    it('called inside its own canceller, calls the canceller once and fails the Deferred once with CancelledError', () => {
      let calls = 0;
      const d: Deferred<number> = new Deferred<number>(() => {
        calls++;
        d.cancel();
      });
      d.cancel();
      expect(calls).toBe(1);
      failureResultOf(d, CancelledError);
    });

    it('called inside its own canceller, which then fires the Deferred, keeps that result', () => {
      const d: Deferred<number> = new Deferred<number>((x) => {
        x.cancel();
        x.callback(7);
      });
      d.cancel();
      expect(successResultOf(d)).toBe(7);
    });

    it('after its canceller returned and left it pending, calls the canceller again on the next cancel()', () => {
      // inlineCallbacks' canceller passes the cancellation on and leaves its Deferred pending: a generator that
      // catches the CancelledError and waits again is cancelled again by the next cancel().
      const waits = [new Deferred<number>(), new Deferred<number>()];
      const caught: unknown[] = [];
      const d = inlineCallbacks(function* () {
        for (const wait of waits) {
          try {
            yield wait;
          } catch (error) {
            caught.push(error);
          }
        }
        return 'done';
      })();
      d.cancel();
      expect(d.called).toBe(false);
      d.cancel();
      expect(caught).toHaveLength(2);
      expect(caught.every((e) => e instanceof CancelledError)).toBe(true);
      expect(successResultOf(d)).toBe('done');
    });
  });
});

type Via = 'member' | 'group';

// A member whose canceller cancels the combinator it belongs to, as "cancel one, cancel the group" code does.
const groups: Array<[string, (members: Array<Deferred<number>>) => Deferred<unknown>, (group: Deferred<unknown>, via: Via) => void]> = [
  [
    'new DeferredList()',
    (members) => new DeferredList(members),
    (group) => {
      const entries = successResultOf(group) as Array<[boolean, unknown]>;
      expect(entries.map(([ok]) => ok)).toEqual([false, false]);
    },
  ],
  [
    'gatherResults()',
    (members) => gatherResults(members, true),
    (group) => {
      const first = failureResultOf(group).value as FirstError;
      expect(first.subFailure.check(CancelledError)).toBe(CancelledError);
    },
  ],
  [
    'race()',
    (members) => race(members),
    (group, via) => {
      // Through the member, the race's canceller returns while that member's own cancel() is still on the stack
      // (not failed yet): the race ends with its own CancelledError, as when a member's canceller does not fire it.
      failureResultOf(group, via === 'member' ? CancelledError : FailureGroup);
    },
  ],
];

/** Two members whose cancellers each cancel the group they are in, the group, and the canceller calls counted. */
function cancellingTheirGroup(combine: (members: Array<Deferred<number>>) => Deferred<unknown>): {
  calls: number[];
  members: Array<Deferred<number>>;
  group: Deferred<unknown>;
} {
  const calls = [0, 0];
  const members = [0, 1].map(
    (i) =>
      new Deferred<number>(() => {
        calls[i]!++;
        group.cancel();
      }),
  );
  const group = combine(members);
  return { calls, members, group };
}

/**
 * Marks the members' cancellations handled: a DeferredList passes its members' failures on, so they would otherwise
 * be reported as unhandled when collected, which can happen after this file's tests have ended (and Jest then says
 * "Cannot log after tests are done").
 */
function handled(members: Array<Deferred<number>>): void {
  for (const member of members) member.addErrback(() => undefined);
}

describe.each(groups)('%s holding a member whose canceller cancels it', (_name, combine, check) => {
  it('cancelled through the member, calls each canceller once and fires once', () => {
    const { calls, members, group } = cancellingTheirGroup(combine);
    let fired = 0;
    group.addBoth((r) => {
      fired++;
      return r;
    });
    members[0]!.cancel();
    expect(calls).toEqual([1, 1]);
    expect(fired).toBe(1);
    check(group, 'member');
    for (const member of members) expect(member.called).toBe(true);
    handled(members);
  });

  it('cancelled itself, calls each canceller once and fires once', () => {
    const { calls, members, group } = cancellingTheirGroup(combine);
    group.cancel();
    expect(calls).toEqual([1, 1]);
    check(group, 'group');
    handled(members);
  });
});
