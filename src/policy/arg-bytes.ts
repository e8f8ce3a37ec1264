/**
 * A cheap estimate of how many bytes a call's arguments weigh, for `match.argBytes`.
 *
 * Structured cloning is what a thread hop costs; measuring it exactly would cost as much as doing it.
 * The estimate is shallow and bounded: it looks at each argument and, for arrays and plain objects,
 * at their direct members only (at most {@link argBytesMemberLimit} of them).
 *
 * @module
 */

/** How many members of one array or object argument the estimate looks at. */
export const argBytesMemberLimit = 64;

/**
 * Estimates the structured-clone size of `args` in bytes.
 *
 * Counting rules: an `ArrayBuffer`, `SharedArrayBuffer`, typed array or `DataView` counts its
 * `byteLength`; a string its `length`; a `Blob` its `size`; a number, bigint or boolean 8; `null` and
 * `undefined` 0; an array or plain object the sum of its direct members counted the same way (nested
 * containers inside them count 0), up to the first 64 members. Anything else counts 0.
 *
 * @param args - the arguments of a dispatch.
 * @returns the estimate, in bytes.
 * @example
 * ```ts
 * estimateArgBytes([new Uint8Array(1024), 'abc']); // 1027
 * ```
 */
export function estimateArgBytes(args: readonly unknown[]): number {
  let total = 0;
  for (const arg of args) total += sizeOf(arg, true);
  return total;
}

function sizeOf(value: unknown, descend: boolean): number {
  switch (typeof value) {
    case 'string':
      return value.length;
    case 'number':
    case 'bigint':
    case 'boolean':
      return 8;
    case 'object':
      break;
    default:
      return 0;
  }
  if (value === null) return 0;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value.byteLength;
  if (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer) return value.byteLength;
  if (typeof Blob !== 'undefined' && value instanceof Blob) return value.size;
  if (!descend) return 0;
  let total = 0;
  if (Array.isArray(value)) {
    const n = Math.min(value.length, argBytesMemberLimit);
    for (let i = 0; i < n; i += 1) total += sizeOf(value[i], false);
    return total;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return 0;
  let seen = 0;
  for (const key in value) {
    if (seen === argBytesMemberLimit) break;
    seen += 1;
    total += sizeOf((value as Record<string, unknown>)[key], false);
  }
  return total;
}
