/**
 * `isGreenletExit`: recognise the exception that ends a greenlet successfully.
 *
 * @module
 */
import { errorCode } from '../error-code.js';

/**
 * True when `e` is a `GreenletExit` of any loaded copy of greenreactor (matched by its stable `code`).
 *
 * Why by code and not `instanceof`: two copies of the library in one process (a dependency's and the app's) must
 * agree that a kill's exception counts as success (gevent's rule). Read with `errorCode`, which never throws: a greenlet
 * may die of a revoked Proxy, and this runs on the hub's own path that ends it.
 *
 * @param e - anything thrown.
 * @returns whether it is a GreenletExit.
 */
export function isGreenletExit(e: unknown): boolean {
  return errorCode(e) === 'ERR_GREENLET_EXIT';
}
