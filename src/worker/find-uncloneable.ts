/**
 * `findUncloneable`: worker side — finds the part of a task's result that `postMessage` would refuse.
 *
 * Why check before replying: Piscina posts a handler's result after the handler returned; when that post throws
 * (a function, a method, a `MessagePort` not transferred), the error escapes in the worker's next tick and kills
 * the worker: its task would errback `WorkerCrashedError`, the other tasks on that worker would die with it, and a
 * task with `retries` would run again although it had finished. Checked here, the task errbacks `DataCloneError`
 * instead and the worker lives on.
 *
 * The check is a walk, not a trial clone: primitives, buffers and typed arrays cost nothing (a no-op task pays one
 * `typeof`), plain objects, arrays, maps and sets are walked without copying. Objects of a class backed by the
 * platform (a `MessagePort`, a `FileHandle`, a `Promise`, a `WeakMap`…) are tried with `structuredClone`, the only
 * exact test for them; the verdict per prototype is cached. Like structured clone, the walk reads own enumerable
 * properties, so a getter runs once more. A getter or Proxy trap that throws makes its object uncloneable (structured
 * clone would throw the same in Piscina's post): the walk reports it and never throws.
 *
 * @module
 */
import { types } from 'node:util';
import { functionName } from '../function-name.js';
import { safeString } from '../safe-string.js';

const objectPrototype = Object.prototype;
const arrayPrototype = Array.prototype;
const nativeSource = /\{\s*\[native code\]\s*\}\s*$/;
const toSource: (this: unknown) => string = Function.prototype.toString; // eslint-disable-line @typescript-eslint/unbound-method -- only ever .call()ed

/** Per prototype: true when its objects are ordinary (cloned as plain objects), false when the platform backs them. */
const ordinaryPrototypes = new WeakMap<object, boolean>();

function isOrdinaryPrototype(proto: object): boolean {
  let known = ordinaryPrototypes.get(proto);
  if (known !== undefined) return known;
  known = true;
  for (let p: object | null = proto; p !== null && p !== objectPrototype; p = Object.getPrototypeOf(p) as object | null) {
    const ctor = Object.getOwnPropertyDescriptor(p, 'constructor')?.value as unknown;
    // A class whose source is native code is a platform class; Node marks its JS-written transferables with symbols.
    if (typeof ctor === 'function' && nativeSource.test(toSource.call(ctor))) known = false;
    for (const symbol of Object.getOwnPropertySymbols(p)) if (symbol.description?.startsWith('messaging_') === true) known = false;
    if (!known) break;
  }
  ordinaryPrototypes.set(proto, known);
  return known;
}

function describeValue(value: unknown): string {
  if (typeof value === 'function') return `a function (${functionName(value, 'anonymous')})`;
  if (typeof value === 'symbol') return `a symbol (${String(value)})`;
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return `an object of class ${typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'unknown'}`;
}

/** Whether structured clone copies `value` as is, with no parts to look into (or refuses it as a whole). */
function leafVerdict(value: object): 'clones' | 'walk' | 'try' {
  if (types.isAnyArrayBuffer(value) || types.isArrayBufferView(value)) return 'clones';
  if (types.isDate(value) || types.isRegExp(value) || types.isBoxedPrimitive(value) || types.isNativeError(value)) return 'clones';
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === null || proto === objectPrototype || proto === arrayPrototype) return 'walk';
  if (types.isMap(value) || types.isSet(value)) return 'walk';
  return isOrdinaryPrototype(proto) ? 'walk' : 'try';
}

/**
 * Looks into one object of the result: tries it when the platform backs it, else queues its parts on `stack`.
 * @returns where it fails to clone, or `undefined`.
 * @throws whatever a getter or Proxy trap of `v` throws.
 */
function expand(path: string, v: object, stack: Array<[path: string, value: unknown]>): string | undefined {
  const verdict = leafVerdict(v);
  if (verdict === 'clones') return undefined;
  if (verdict === 'try') {
    try {
      structuredClone(v);
      return undefined;
    } catch (error) {
      return `${path}: ${describeValue(v)} (${String((error as Error)?.message ?? error)})`;
    }
  }
  if (types.isMap(v)) {
    let i = 0;
    for (const [key, item] of v) {
      stack.push([`${path}<key ${i}>`, key], [`${path}<value ${i}>`, item]);
      i++;
    }
  } else if (types.isSet(v)) {
    let i = 0;
    for (const item of v) stack.push([`${path}<item ${i++}>`, item]);
  } else {
    for (const key of Object.keys(v)) stack.push([`${path}.${key}`, (v as Record<string, unknown>)[key]]);
  }
  return undefined;
}

/**
 * Finds the first part of `value` that structured clone (hence `postMessage` without a transfer list) refuses.
 *
 * @param value - a task's result.
 * @returns where it is and what it is (`".handler: a function (handler)"`, `": an object of class MessagePort"`),
 *   or `undefined` when the value can be cloned.
 */
export function findUncloneable(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) {
    return typeof value === 'function' || typeof value === 'symbol' ? `: ${describeValue(value)}` : undefined;
  }
  const seen = new Set<object>();
  const stack: Array<[path: string, value: unknown]> = [['', value]];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const [path, v] = entry;
    if (typeof v === 'function' || typeof v === 'symbol') return `${path}: ${describeValue(v)}`;
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    try {
      const found = expand(path, v, stack);
      if (found !== undefined) return found;
    } catch (error) {
      // A getter or a Proxy trap of the task's value threw (user code): structured clone would throw it too, in
      // Piscina's post, where it would end the worker.
      return `${path}: an object whose properties cannot be read (${safeString(error)})`;
    }
  }
  return undefined;
}
