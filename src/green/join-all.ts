/**
 * `joinAll`: wait for many greenlets (gevent's `joinall`).
 *
 * @module
 */
import { Deferred } from '../deferred/deferred.js';
import { fail } from '../deferred/fail.js';
import { badGreenletItem, badIterable } from './bad-iterable.js';
import { badTimeout } from './bad-timeout.js';
import { getDefaultHub } from './default-hub.js';
import { Greenlet, greenletControl } from './greenlet.js';
import type { Hub } from './hub.js';

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
  if (options === null || typeof options !== 'object') {
    return fail(new TypeError(`Expected \`options\` to be an object, got \`${String(options)}\` (${typeof options})`));
  }
  const bad = badTimeout<Array<Greenlet<any>>>(options.timeoutMs);
  if (bad !== null) return bad;
  const notIterable = badIterable(greenlets, 'greenlets', 'Greenlets');
  if (notIterable !== null) return fail(notIterable);
  const list = Array.isArray(greenlets) ? (greenlets as Array<Greenlet<any>>) : [...greenlets]; // only read during this call
  for (const g of list) if (!(g instanceof Greenlet)) return fail(badGreenletItem(g)); // before any is linked
  // Sized once: every greenlet lands in its slot in finishing order (no growing copies of a 100,000-entry list).
  const n = list.length;
  const done = new Array<Greenlet<any>>(n);
  const result = new Deferred<Array<Greenlet<any>>>(() => {
    if (timer?.active() === true) timer.cancel();
  });
  let timer: ReturnType<Hub['clock']['callLater']> | null = null;
  const { timeoutMs, raiseError = false } = options;
  let remaining = n;
  const onDeath = (g: Greenlet<any>): void => {
    if (result.called) return;
    done[n - remaining] = g;
    remaining--;
    if (raiseError && !g.successful()) {
      if (timer?.active() === true) timer.cancel();
      result.errback(g.exception);
    } else if (remaining === 0) {
      if (timer?.active() === true) timer.cancel();
      result.callback(done);
    }
  };
  // Already-dead greenlets first, in the order given; the rest as they die (linking one runs nothing now, so one
  // pass keeps that order and reads each greenlet's state once).
  for (const g of list) {
    if (g.dead) {
      onDeath(g);
      continue;
    }
    if (raiseError) g.link(onDeath);
    else greenletControl.linkInternal(g, onDeath);
  }
  if (list.length === 0) result.callback(done);
  if (!result.called && timeoutMs !== undefined) {
    timer = (options.hub ?? getDefaultHub()).clock.callLater(timeoutMs, () => {
      if (!result.called) result.callback(done.slice(0, n - remaining));
    });
  }
  return result;
}
