/**
 * The clone mark: tells whether a message's structured clone reached its end, so that a refused message (its clone
 * threw: an argument that cannot be cloned, or a getter that throws only as the message is cloned) is told from a
 * worker that died, without trying the arguments again — a second try may clone fine where the first did not.
 *
 * Why an accessor: the clone reads a message's fields in order and calls an accessor as it reaches it; one put last
 * runs only once everything before it (the call's arguments and carried values) was cloned. Its getter is one shared
 * function that marks the message it is read on (under a symbol, which the clone leaves out): marking costs a
 * property definition, no closure. Only a call sent again after a rejection that may have been its message's refusal
 * is marked (its coalesced batch's, or its own message's that failed before its task started with an error that is no
 * exit: a rare path): every other message goes unmarked, and its refusal is told by trying its arguments again
 * (`classifyDispatchFault`).
 *
 * @module
 */

const ended = Symbol('clone ended');

const mark: PropertyDescriptor = {
  get(this: Record<symbol, unknown>): undefined {
    this[ended] = true;
    return undefined;
  },
  enumerable: true,
};

/**
 * Adds the mark to a message (its last field, `TaskRequest.cloned`; the worker reads `undefined` and ignores it).
 * @param request - the message, with all its other fields.
 * @returns the same object.
 */
export function withCloneMark<T extends object>(request: T): T {
  return Object.defineProperty(request, 'cloned', mark);
}

/**
 * Whether a marked message's clone reached its end (it was posted).
 * @param request - a message given to {@link withCloneMark}.
 */
export function cloneEnded(request: object): boolean {
  return (request as Record<symbol, unknown>)[ended] === true;
}
