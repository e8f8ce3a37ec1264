/**
 * `withDeadline` (SPEC §10) on a reactor whose clock is not the wall clock (a `Clock`, the time of tests), across
 * `callLater` and `DelayedCall.reset`. A nested scope never extends its enclosing one ("the earlier deadline wins"),
 * judged by the time each has left on its own clock.
 *
 * @module
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Clock, Deferred, Reactor, TimeoutError } from '../../src/index.js';
import { assertNoResult, failureResultOf } from '../helpers/deferred-results.js';

let reactor: Reactor;
let clock: Clock;

function make(): void {
  clock = new Clock();
  reactor = new Reactor({ clock });
}

afterEach(async () => {
  await reactor.stop({ graceMs: 0 });
});

/** A green call that waits for `gate` (a plain function: the green route), dispatched now. */
function waitOn(gate: Deferred<string>): Deferred<string> {
  return reactor.deferToGreenlet(function* () {
    return (yield gate) as string;
  });
}

describe('reactor.withDeadline() on a Clock', () => {
  it('keeps the enclosing deadline when a nested scope opened after the clock moved would end later', () => {
    make();
    const gate = new Deferred<string>();
    let d: Deferred<string> | undefined;
    reactor.withDeadline(10, () => {
      clock.advance(8);
      d = reactor.withDeadline(5, () => waitOn(gate)); // 5 from now is 13: past the enclosing 10
    });
    clock.advance(2);
    failureResultOf(d!, TimeoutError);
  });

  it('takes a nested scope that ends first', () => {
    make();
    const gate = new Deferred<string>();
    let d: Deferred<string> | undefined;
    reactor.withDeadline(10, () => {
      clock.advance(2);
      d = reactor.withDeadline(5, () => waitOn(gate)); // ends at 7
    });
    clock.advance(4);
    assertNoResult(d!);
    clock.advance(1);
    failureResultOf(d!, TimeoutError);
  });

  it('follows callLater: a call made from it after the deadline passed never runs', () => {
    make();
    let ran = false;
    let d: Deferred<string> | undefined;
    reactor.withDeadline(10, () => {
      reactor.callLater(20, () => {
        d = reactor.deferToGreenlet(() => {
          ran = true;
          return 'ran';
        });
      });
    });
    clock.advance(20);
    failureResultOf(d!, TimeoutError);
    expect(ran).toBe(false);
  });

  it('follows a DelayedCall that was reset: it still runs in the scope it was scheduled in', () => {
    make();
    const gate = new Deferred<string>();
    let d: Deferred<string> | undefined;
    const call = reactor.withDeadline(10, () => reactor.callLater(1, () => (d = waitOn(gate))));
    call.reset(4);
    clock.advance(4);
    assertNoResult(d!);
    clock.advance(6);
    failureResultOf(d!, TimeoutError);
  });

  it('gives a call made before the deadline its result', async () => {
    make();
    const gate = new Deferred<string>();
    const d = reactor.withDeadline(10, () => waitOn(gate));
    clock.advance(9);
    gate.callback('done');
    expect(await d).toBe('done');
  });
});
