/**
 * `Lock`: mutual exclusion between greenlets (gevent's `Lock`).
 *
 * @module
 */
import type { Hub } from './hub.js';
import { BoundedSemaphore } from './bounded-semaphore.js';

/**
 * A {@link BoundedSemaphore} of one token: `acquire(timeoutMs?)` → boolean, `release()` (throws when not locked),
 * `locked()`, `run(fn)`.
 *
 * Why: greenlets interleave at every switch point, so a multi-step update of shared state needs a lock held
 * across its `yield`s.
 *
 * @example
 * ```ts
 * const lock = new Lock();
 * hub.spawn(function* () { yield lock.acquire(); try { yield save(); } finally { lock.release(); } });
 * ```
 */
export class Lock extends BoundedSemaphore {
  /** @param hub - whose clock times `acquire` timeouts. */
  constructor(hub?: Hub) {
    super(1, hub);
  }
}
