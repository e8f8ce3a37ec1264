/**
 * The clone mark: tells whether a message's structured clone reached its end, and if not, where it stopped — so that
 * a refused message (its clone threw: an argument that cannot be cloned, or a getter that throws only as the message
 * is cloned) is told from a worker that died, and the argument or context carrier at fault is named, without trying
 * the values again — a second try may clone fine where the first did not.
 *
 * Why accessors: the clone reads a message's fields in order and calls an accessor as it reaches it. One put last
 * runs only once everything before it (the call's arguments and carried values) was cloned; one in place of each
 * argument and each carried value records that the clone reached it, so when the clone stops, the last one reached is
 * the value it stopped in (only the library's own plain fields follow the arguments and the carried values). The
 * worker reads plain data: the clone of an accessor is its value. Only some messages are marked, and they pay a
 * closure per argument and carried value: a call sent again after a rejection that may have been its message's
 * refusal (its coalesced batch's, or its own message's that failed before its task started with an error that is no
 * exit: a rare path), and a call with a `transfer` list (its refusal cannot be told by sending it again: were it a
 * worker's death, its buffers would be gone). Every other message goes unmarked, and its refusal is told by trying
 * its arguments again (`classifyDispatchFault`). The worker side marks a call back to the main thread
 * (`blockingCallFromThread`, `callFromThread`) the same way once its first post was refused: this file belongs to the
 * protocol both sides of the thread boundary import (it imports nothing of either).
 *
 * @module
 */
import type { CarriedContext } from '../context/context-carrier.js';

/** How far a marked message's clone got. */
export interface CloneReach {
  /** Whether the clone reached the message's end (it was posted). */
  ended: boolean;
  /** The last argument the clone reached (where it stopped, when it did not end and no carried value was reached). */
  argumentIndex: number | undefined;
  /** The last context carrier whose value the clone reached (where it stopped, when it did not end). */
  carrier: string | undefined;
}

const reach = Symbol('clone reach');

type Marked = Record<symbol, CloneReach>;

const endMark: PropertyDescriptor = {
  get(this: Marked): undefined {
    this[reach]!.ended = true;
    return undefined;
  },
  enumerable: true,
};

/**
 * A copy of `source` (an array or a plain object) whose entries are accessors that call `reached(key)` as the clone
 * reads them, then give the entry's value.
 */
function traced<T extends object>(source: T, copy: T, reached: (key: string) => void): T {
  for (const key of Object.keys(source)) {
    const value = (source as Record<string, unknown>)[key];
    Object.defineProperty(copy, key, {
      get: () => {
        reached(key);
        return value;
      },
      enumerable: true,
    });
  }
  return copy;
}

/**
 * Marks a message: its arguments and carried values are traced, and its last field (`TaskRequest.cloned`; the
 * worker reads `undefined` and ignores it) records the clone's end.
 * @param request - a copy of the message, with all its other fields (its `args` and `context` are replaced).
 * @returns the same object.
 */
export function withCloneMark<T extends { args: readonly unknown[]; context?: CarriedContext | undefined }>(request: T): T {
  const at: CloneReach = { ended: false, argumentIndex: undefined, carrier: undefined };
  Object.defineProperty(request, reach, { value: at });
  (request as { args: readonly unknown[] }).args = traced(request.args, [], (index) => (at.argumentIndex = Number(index)));
  if (request.context !== undefined) {
    (request as { context?: CarriedContext }).context = traced(request.context, {}, (name) => (at.carrier = name));
  }
  return Object.defineProperty(request, 'cloned', endMark);
}

/**
 * How far a marked message's clone got.
 * @param request - a message given to {@link withCloneMark}.
 */
export function cloneReach(request: object): CloneReach {
  return (request as Marked)[reach]!;
}
