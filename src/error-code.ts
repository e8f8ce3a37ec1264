/**
 * `errorCode`: the `code` of anything thrown, read so that it never throws.
 *
 * Why one function: the library recognises its own errors by their stable `code` (`instanceof` fails across two
 * loaded copies of the package), and it reads that code on error paths — a greenlet's death, a stream's end, a remote
 * call's failure — with whatever user code threw. That may be a revoked Proxy or an object whose `code` getter
 * throws; a throw from the reading itself would escape the error path (a hub pass thrown out of `flush()`, a Deferred
 * never fired). Such a value has no code: it is none of ours.
 *
 * @module
 */

/**
 * The `code` property of `thrown`, or `undefined` when it has none or reading it throws (a revoked Proxy, a throwing
 * getter). Reads the property once.
 * @param thrown - anything thrown.
 * @returns the code as it is (not checked to be a string).
 */
export function errorCode(thrown: unknown): unknown {
  if ((typeof thrown !== 'object' || thrown === null) && typeof thrown !== 'function') return undefined;
  try {
    return (thrown as { code?: unknown }).code;
  } catch {
    return undefined;
  }
}
