/**
 * `joinAll`: wait for many greenlets (gevent's `joinall`).
 *
 * @module
 */
import { Deferred } from '../deferred/deferred.js';
import { fail } from '../deferred/fail.js';
import { succeed } from '../deferred/succeed.js';
import type { DelayedCall } from '../time/scheduler.js';
import { badGreenletItem, badIterable } from './bad-iterable.js';
import { badTimeout } from './bad-timeout.js';
import { getDefaultHub } from './default-hub.js';
import { Greenlet, greenletControl, isGreenlet } from './greenlet.js';
import type { Hub } from './hub.js';
import { describeValue } from '../describe-value.js';

/** Options of {@link joinAll}. */
export interface JoinAllOptions {
  /** Stop waiting after this long (hub clock) and fire with those finished so far. @defaultValue no limit */
  timeoutMs?: number;
  /** Errback with the first exception of a greenlet (in finishing order) instead of waiting for the rest. @defaultValue false */
  raiseError?: boolean;
  /** Whose clock times `timeoutMs`. @defaultValue the default reactor's hub */
  hub?: Hub;
}

/**
 * Wait until every greenlet is dead, or the timeout passes.
 *
 * Why finishing order: it tells which ones made it before a timeout, and is what gevent returns.
 * With `raiseError`, the failure counts as observed; without it, each greenlet's own error reporting applies.
 * The Deferred is a hub wait of the greenlets' hub (the first one's): a greenlet waiting in it — `yield`ed or
 * `await`ed — is killable there, like at any switch point, and its kill drops the wait (the greenlets it joined run on).
 *
 * @param greenlets - the greenlets.
 * @param options - timeout, raiseError, hub.
 * @returns a Deferred firing with the greenlets that finished, in finishing order; errbacking `TypeError` when
 * `greenlets` is not an iterable of Greenlets or `options` not an object.
 * @example
 * ```ts
 * const done = yield joinAll([a, b, c], { timeoutMs: 1000 });
 * ```
 */
export function joinAll(greenlets: Iterable<Greenlet<any>>, options: JoinAllOptions = {}): Deferred<Array<Greenlet<any>>> {
  return join(greenlets, options, true);
}

/**
 * @internal {@link joinAll} for the green package's own consumers that take its outcome with callbacks, not as a
 * greenlet's switch point (`shutdownHub`, which may run inside a greenlet's `await reactor.stop()`, and
 * `GreenPool.map`): a plain Deferred that no greenlet owns, so no kill of the greenlet that made it ends it.
 * @param greenlets - the greenlets (already checked by the caller, or checked here as by joinAll).
 * @param options - as {@link joinAll}'s.
 * @returns as {@link joinAll}.
 */
export function joinAllUnowned(greenlets: Iterable<Greenlet<any>>, options: JoinAllOptions = {}): Deferred<Array<Greenlet<any>>> {
  return join(greenlets, options, false);
}

/**
 * The one join: `owned` makes its Deferred a hub wait (a switch point of the greenlet that waits in it), else a
 * plain Deferred. An outcome already there (no greenlet alive, or an already-dead one failed with `raiseError`)
 * comes back at once, not as a wait.
 */
function join(greenlets: Iterable<Greenlet<any>>, options: JoinAllOptions, owned: boolean): Deferred<Array<Greenlet<any>>> {
  if (options === null || typeof options !== 'object') {
    return fail(new TypeError(`Expected \`options\` to be an object, got ${describeValue(options)}`));
  }
  const bad = badTimeout<Array<Greenlet<any>>>(options.timeoutMs);
  if (bad !== null) return bad;
  const notIterable = badIterable(greenlets, 'greenlets', 'Greenlets');
  if (notIterable !== null) return fail(notIterable);
  const list = Array.isArray(greenlets) ? (greenlets as Array<Greenlet<any>>) : [...greenlets]; // only read during this call
  for (const g of list) if (!isGreenlet(g)) return fail(badGreenletItem(g)); // before any is linked
  // Sized once: every greenlet lands in its slot in finishing order (no growing copies of a 100,000-entry list).
  const n = list.length;
  const done = new Array<Greenlet<any>>(n);
  let result: Deferred<Array<Greenlet<any>>> | null = null; // made once some greenlet is known to be alive
  let early: { failed: boolean; value: unknown } | null = null;
  let timer: DelayedCall | null = null;
  const { timeoutMs, raiseError = false } = options;
  let remaining = n;
  const settle = (failed: boolean, value: unknown): void => {
    if (result === null) {
      early = { failed, value };
      return;
    }
    if (timer?.active() === true) timer.cancel();
    if (failed) result.errback(value);
    else result.callback(done);
  };
  const onDeath = (g: Greenlet<any>): void => {
    if (early !== null || result?.called === true) return;
    done[n - remaining] = g;
    remaining--;
    if (raiseError && !g.successful()) settle(true, g.exception);
    else if (remaining === 0) settle(false, done);
  };
  // Already-dead greenlets first, in the order given; the rest as they die (linking one runs nothing now, so one
  // pass keeps that order and reads each greenlet's state once).
  let first: Greenlet<any> | null = null; // the first one alive: its hub owns the wait
  for (const g of list) {
    if (g.dead) {
      onDeath(g);
      continue;
    }
    first ??= g;
    if (raiseError) g.link(onDeath);
    else greenletControl.linkInternal(g, onDeath);
  }
  if (early !== null) {
    const { failed, value } = early as { failed: boolean; value: unknown };
    return failed ? fail(value) : succeed(done);
  }
  if (first === null) return succeed(done);
  // Dropped (cancelled, or its greenlet killed while waiting in it): nothing of it stays linked to the greenlets.
  const drop = (): void => {
    if (timer?.active() === true) timer.cancel();
    for (const g of list) if (!g.dead) g.unlink(onDeath);
  };
  result = owned ? greenletControl.newWait(first, drop, drop) : new Deferred<Array<Greenlet<any>>>(drop);
  if (timeoutMs !== undefined) {
    const d = result;
    timer = (options.hub ?? getDefaultHub()).clock.callLater(timeoutMs, () => {
      if (!d.called) d.callback(done.slice(0, n - remaining));
    });
  }
  return result;
}
