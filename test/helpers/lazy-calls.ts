/**
 * A virtual hub for tests of the lazy greenlet call (src/green/greenlet-call.ts), and `deferToGreenlet` as the
 * reactor makes it on that hub.
 *
 * The hub reads a frozen `now` unless a test passes its own: on the real clock, a step descheduled past
 * `blockingThresholdMs` on a loaded machine is reported `'blocked'`, which gives the call its greenlet.
 */
import type { Deferred } from '../../src/deferred/deferred.js';
import { callInGreenlet, greenletDeferred } from '../../src/green/greenlet-deferred.js';
import type { Hub } from '../../src/green/hub.js';
import type { HubOptions } from '../../src/green/hub-options.js';
import type { Clock } from '../../src/time/clock.js';
import { makeVirtualHub } from './virtual-hub.js';

/** The hub, its clock, the errors it reported, and the two ways to make a call on it. */
export interface LazyCalls {
  hub: Hub;
  clock: Clock;
  errors: unknown[];
  /** `deferToGreenlet(fn, ...args)` as the reactor makes it (lazy for a plain function). */
  call: <R>(fn: (...args: any[]) => R, ...args: unknown[]) => Deferred<Awaited<R>>;
  /** The same call made eager: a greenlet spawned at once, watched by its Deferred. */
  eager: <R>(fn: (...args: any[]) => R, ...args: unknown[]) => Deferred<Awaited<R>>;
}

/**
 * A hub on a Clock whose passes wait for `flush()` (or are pushed onto `passes`, when given).
 * @param options - more hub options (`now`, `sliceMs`, `maxGreenlets`…).
 * @param passes - where the hub's scheduled passes go, to be run by the test.
 * @returns the hub and its helpers.
 */
export function makeLazyCalls(options: Omit<HubOptions, 'clock' | 'nextTurn'> = {}, passes?: Array<() => void>): LazyCalls {
  const nextPass = passes === undefined ? () => undefined : (pass: () => void) => void passes.push(pass);
  const { hub, clock, errors } = makeVirtualHub({ now: () => 0, ...options, nextTurn: nextPass });
  const call = <R,>(fn: (...args: any[]) => R, ...args: unknown[]): Deferred<Awaited<R>> =>
    callInGreenlet(hub, fn as (...args: any[]) => Awaited<R>, args, { clock });
  const eager = <R,>(fn: (...args: any[]) => R, ...args: unknown[]): Deferred<Awaited<R>> =>
    greenletDeferred(hub.spawn(fn as (...args: any[]) => Awaited<R>, ...args), { clock });
  return { hub, clock, errors, call, eager };
}
