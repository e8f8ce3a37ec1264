/**
 * `fitsInBatch`: whether a call's arguments are small enough to travel in a coalesced batch.
 *
 * Why a bounded walk of its own: a batch is cloned as one message, so one large argument would make every call in
 * it wait for its copy; the estimate only needs to tell small from large, and stops as soon as it passes the
 * limit (a call of no arguments, the common case, costs nothing).
 *
 * @module
 */

/** Nesting below this depth is not inspected: such an argument counts as large (it travels alone). */
const maxDepth = 4;

/**
 * Tells whether `args` are estimated at most `maxBytes` once structured-cloned.
 *
 * Strings count their length, numbers and booleans 8, buffers and typed arrays their `byteLength`
 * (`SharedArrayBuffer`s are shared, not copied: 0); arrays, plain objects, `Map`s and `Set`s the sum of their
 * members. Anything deeper than a few levels counts as large, and so does an argument whose getter or Proxy trap
 * throws as it is read (never thrown from here).
 *
 * @param args - the call's arguments.
 * @param maxBytes - the limit (`coalesce.maxArgBytes`).
 * @returns true when the call may travel in a batch.
 */
export function fitsInBatch(args: readonly unknown[], maxBytes: number): boolean {
  if (args.length === 0) return true;
  let budget = maxBytes;
  const visit = (value: unknown, depth: number): boolean => {
    switch (typeof value) {
      case 'string':
        budget -= value.length;
        return budget >= 0;
      case 'number':
      case 'boolean':
      case 'bigint':
        budget -= 8;
        return budget >= 0;
      case 'object':
        break;
      default:
        return true; // undefined; functions and symbols fail the clone on their own, alone
    }
    if (value === null) return true;
    if (value instanceof SharedArrayBuffer) return true;
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
      budget -= ArrayBuffer.isView(value) && value.buffer instanceof SharedArrayBuffer ? 0 : value.byteLength;
      return budget >= 0;
    }
    if (depth >= maxDepth) return false;
    if (Array.isArray(value)) {
      budget -= value.length;
      for (const item of value) if (budget < 0 || !visit(item, depth + 1)) return false;
      return budget >= 0;
    }
    if (value instanceof Map) {
      for (const [k, v] of value) if (!visit(k, depth + 1) || !visit(v, depth + 1)) return false;
      return budget >= 0;
    }
    if (value instanceof Set) {
      for (const item of value) if (!visit(item, depth + 1)) return false;
      return budget >= 0;
    }
    for (const key in value) {
      budget -= key.length;
      if (budget < 0 || !visit((value as Record<string, unknown>)[key], depth + 1)) return false;
    }
    return budget >= 0;
  };
  try {
    for (const arg of args) if (!visit(arg, 0)) return false;
  } catch {
    // A getter or Proxy trap of an argument threw (user code): the call travels alone, where its clone fails with
    // DataCloneError through its own Deferred. Escaping here, it would break the drain of the whole queue.
    return false;
  }
  return true;
}
