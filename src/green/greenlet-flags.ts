/**
 * The packed representation of a greenlet: flag bits, link kinds and the rarely needed fields.
 *
 * Why packed: a parked greenlet must stay small (the green bench measures bytes per parked greenlet), and 100,000
 * greenlets spawned at once are copied by every young-generation GC while they live (the fresh-closure row), so
 * its booleans, its lifecycle state and its mode share one small integer (a Smi: no field of their own), and the
 * fields few greenlets need live in a side record made on first use. `Greenlet` reads and writes the flag bits
 * only through its `#has`/`#set` pair, the state through `#is`/`#enter` and the mode through `#modeIs`/`#setMode`.
 *
 * @module
 */
import type { HubWait } from './hub-wait.js';
import type { Deferred } from '../deferred/deferred.js';
import type { DelayedCall } from '../time/scheduler.js';
import type { GreenletState } from './greenlet-state.js';

/** Scheduled at least once (spawn, pool admission, the `spawnLater` timer). */
export const STARTED = 1;
/** The value to send in at the next resumption is an exception to throw in. */
export const THROWING = 2;
/** Dead and successful (the result is the value, else the exception). */
export const OK = 4;
/** Someone observes the outcome (join, get, then, a link): an escaping exception is not reported. */
export const OBSERVED = 8;
/** A kill was requested (its signal aborts with the first one). */
export const KILL_PENDING = 16;
/** An async greenlet runs a resumption it has not ended at a hub wait yet. */
export const ASYNC_BUSY = 32;
/** Two bits: the kind of a single link stored without an array. */
export const LINK_KIND_SHIFT = 6;
/** The mask of the link-kind bits. */
export const LINK_KIND_MASK = 3 << LINK_KIND_SHIFT;
/** Its code runs under the hub's greenlet identity (it is or may be async): the hub follows its continuations. */
export const TRACKED = 256;
/** The value to send in is a kill taken from `Rare.kill` (held again if the wait it would go through is not awaited). */
export const SENDING_KILL = 512;
/**
 * Its generator came from a generator function, so the hub drives it with the built-in `next`/`throw` (one call
 * site for every generator, however many distinct functions spawned them) rather than looking them up on it.
 */
export const NATIVE_GENERATOR = 1024;
/** Three bits: the lifecycle state (greenlet-state.ts), an index into {@link stateNames}. 0 is `'pending'`. */
export const STATE_SHIFT = 11;
/** The mask of the state bits. */
export const STATE_MASK = 7 << STATE_SHIFT;
/** Three bits: the {@link Mode}, an index into {@link modeNames}. 0 is `'unstarted'`. */
export const MODE_SHIFT = 14;
/** The mask of the mode bits. */
export const MODE_MASK = 7 << MODE_SHIFT;

// The states and modes as they sit in the flags (already shifted): test one with `(flags & STATE_MASK) === ST_…`.
/** State `'pending'` (0: a new greenlet's flags are 0). */
export const ST_PENDING = 0;
/** State `'queued'`. */
export const ST_QUEUED = 1 << STATE_SHIFT;
/** State `'running'`. */
export const ST_RUNNING = 2 << STATE_SHIFT;
/** State `'parked'`. */
export const ST_PARKED = 3 << STATE_SHIFT;
/** State `'dead'`. */
export const ST_DEAD = 4 << STATE_SHIFT;
/** Mode `'unstarted'` (0). */
export const MODE_UNSTARTED = 0;
/** Mode `'calling'`. */
export const MODE_CALLING = 1 << MODE_SHIFT;
/** Mode `'generator'`. */
export const MODE_GENERATOR = 2 << MODE_SHIFT;
/** Mode `'async'`. */
export const MODE_ASYNC = 3 << MODE_SHIFT;
/** Mode `'finished'`. */
export const MODE_FINISHED = 4 << MODE_SHIFT;

/** Each state by its code (unshifted) in the state bits. */
export const stateNames: readonly GreenletState[] = Object.freeze(['pending', 'queued', 'running', 'parked', 'dead'] as const);
/** Each state's bits. */
export const stateBits: Readonly<Record<GreenletState, number>> = Object.freeze({
  pending: ST_PENDING,
  queued: ST_QUEUED,
  running: ST_RUNNING,
  parked: ST_PARKED,
  dead: ST_DEAD,
});

/** Link kind: hears every death, observes the outcome. */
export const ANY = 0;
/** Link kind: hears only a success. */
export const VALUE = 1;
/** Link kind: hears only a failure, observes it. */
export const EXCEPTION = 2;
/** Link kind: a notifier that does not count as observing (pools, groups, joinAll, kill's Deferred). */
export const INTERNAL = 3;

/** How a greenlet's function is being run. */
export type Mode = 'unstarted' | 'calling' | 'generator' | 'async' | 'finished';

/** Fields few greenlets need, allocated on first use. */
export interface Rare {
  /** The kill exception still to be thrown in. */
  kill: unknown;
  /** The first kill's exception: the abort reason of `signal`. */
  killReason: unknown;
  /** Made when `signal` is first read. */
  abort: AbortController | null;
  /** A `spawnLater` greenlet's timer. */
  timer: DelayedCall | null;
  /** The Deferred `cooperate()` returned inside a generator greenlet's step. */
  coop: Deferred<void> | null;
  /**
   * Hub waits its code awaited while it already awaited another (`Promise.all`/`race` over several): ordinary
   * Deferreds to the hub, released once they can have no taker (see greenlet.ts, `#releaseCoAwaited`).
   */
  coAwaited: Array<HubWait<any>> | null;
  /**
   * Hub waits its code chained with `then` in the run that made them (raced, see hub-wait.ts) and then went on from
   * by making another hub wait, that had no outcome then: a kill still rejects those with no outcome yet, so an
   * `await` of a Promise their `then` made (`const p = q.get().then(f); await hub.cooperate(); await p`) throws it.
   * Waits that got an outcome are pruned as the list grows (greenlet.ts, `#keepRaced`).
   */
  racedLeft: Array<HubWait<any>> | null;
}

/** @returns an empty {@link Rare} record. */
export function newRare(): Rare {
  return { kill: undefined, killReason: undefined, abort: null, timer: null, coop: null, coAwaited: null, racedLeft: null };
}
