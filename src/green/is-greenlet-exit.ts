/**
 * `isGreenletExit`: recognise the exception that ends a greenlet successfully.
 *
 * @module
 */

/**
 * True when `e` is a `GreenletExit` of any loaded copy of greenreactor (matched by its stable `code`).
 *
 * Why by code and not `instanceof`: two copies of the library in one process (a dependency's and the app's) must
 * agree that a kill's exception counts as success (gevent's rule).
 *
 * @param e - anything thrown.
 * @returns whether it is a GreenletExit.
 */
export function isGreenletExit(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ERR_GREENLET_EXIT';
}
