/**
 * A cheap estimate of how many bytes a call's arguments weigh, for `match.argBytes`.
 *
 * Structured cloning is what a thread hop costs; measuring it exactly would cost as much as doing it.
 * The estimate is shallow and bounded: it looks at each argument and, for arrays and plain objects,
 * at their direct members only (at most {@link argBytesMemberLimit} of them).
 *
 * @module
 */

import { types } from 'node:util';

/** How many members of one array or object argument the estimate looks at. */
export const argBytesMemberLimit = 64;

/**
 * Estimates the structured-clone size of `args` in bytes.
 *
 * Counting rules: an `ArrayBuffer`, `SharedArrayBuffer`, typed array or `DataView` counts its
 * `byteLength`; a string its `length`; a `Blob` its `size`; a number, bigint or boolean 8; `null` and
 * `undefined` 0; an array or plain object the sum of its direct members counted the same way (nested
 * containers inside them count 0), up to the first 64 members. Anything else counts 0, and so do a Proxy and a
 * member behind a getter: the estimate runs no user code (no trap, no getter), so a routing rule never fails a call
 * (the task may take what the estimate cannot read). Binary data from another realm (a `vm` context) counts as ours.
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

/** The intrinsic `byteLength` getters: they read the internal slot (any realm's buffer), never a user's property. */
const byteLengthOf = {
  arrayBuffer: intrinsicGetter(ArrayBuffer.prototype, 'byteLength'),
  sharedArrayBuffer: typeof SharedArrayBuffer === 'undefined' ? undefined : intrinsicGetter(SharedArrayBuffer.prototype, 'byteLength'),
  typedArray: intrinsicGetter(Object.getPrototypeOf(Uint8Array.prototype) as object, 'byteLength'),
  dataView: intrinsicGetter(DataView.prototype, 'byteLength'),
};

/** The getter `proto` defines for `key` (a built-in's, read once at load), to be called on a value of its brand. */
function intrinsicGetter(proto: object, key: string): (this: unknown) => number {
  const desc = Object.getOwnPropertyDescriptor(proto, key) as PropertyDescriptor;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- a built-in getter, always called with `.call(value)`
  return desc.get as (this: unknown) => number;
}

/**
 * One value's weight. The arguments are the user's: binary data is recognised by brand (`node:util` types, which
 * see another realm's buffers too and run no user code), a Proxy counts 0 without a trap run (a revoked one throws
 * from `instanceof`), and an object's members are read only when they are data properties (a getter is not run).
 */
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
  if (value === null || types.isProxy(value)) return 0;
  if (types.isArrayBuffer(value)) return byteLengthOf.arrayBuffer.call(value);
  if (types.isTypedArray(value)) return byteLengthOf.typedArray.call(value);
  if (types.isDataView(value)) return byteLengthOf.dataView.call(value);
  if (types.isSharedArrayBuffer(value) && byteLengthOf.sharedArrayBuffer !== undefined) return byteLengthOf.sharedArrayBuffer.call(value);
  const proto: unknown = Object.getPrototypeOf(value); // not a Proxy: no trap
  if (isBlob(value)) return blobSize(value);
  if (!descend) return 0;
  let total = 0;
  if (Array.isArray(value)) {
    const n = Math.min(value.length, argBytesMemberLimit);
    for (let i = 0; i < n; i += 1) total += sizeOf(dataMember(value, String(i)), false);
    return total;
  }
  if (proto !== Object.prototype && proto !== null && !isOtherRealmPlainObject(proto)) return 0;
  let seen = 0;
  for (const key in value) {
    if (seen === argBytesMemberLimit) break;
    seen += 1;
    total += sizeOf(dataMember(value, key), false);
  }
  return total;
}

/** `value[key]` when it is an own data property; undefined for a getter (user code, not run) or an inherited one. */
function dataMember(value: object, key: string): unknown {
  const desc = Object.getOwnPropertyDescriptor(value, key);
  return desc !== undefined && 'value' in desc ? desc.value : undefined;
}

/** True for `Object.prototype` of another realm (a `vm` context's plain object): the prototype of its prototype is null. */
function isOtherRealmPlainObject(proto: unknown): boolean {
  if (typeof proto !== 'object' || proto === null || types.isProxy(proto) || Object.getPrototypeOf(proto) !== null) return false;
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor');
  return ctor !== undefined && 'value' in ctor && typeof ctor.value === 'function' && (ctor.value as { name?: unknown }).name === 'Object';
}

/** A Blob (its size counts); `instanceof` may walk a prototype chain that holds a Proxy, whose trap may throw. */
function isBlob(value: object): value is Blob {
  try {
    return typeof Blob !== 'undefined' && value instanceof Blob;
  } catch {
    return false;
  }
}

/** A Blob's size, read with the intrinsic getter (never an own property a user put there); 0 if that throws. */
function blobSize(value: Blob): number {
  try {
    return intrinsicGetter(Blob.prototype, 'size').call(value);
  } catch {
    return 0;
  }
}
