/**
 * `Failure`: the error side of a Deferred chain, Twisted's `twisted.python.failure.Failure`.
 *
 * @module
 */
import { CancelledError } from '../errors.js';
import { safeString } from '../safe-string.js';

/** A constructor a `Failure` can be checked against (`Error`, `TypeError`, `CancelledError`…). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type ErrorType = Function;

/**
 * True for a real `Failure`. A brand check, not `instanceof`: it runs no user code, so a thrown or returned Proxy
 * (a revoked one throws from every trap) cannot make the Deferred runner throw. Internal to the Deferred family.
 */
export let isFailure: (value: unknown) => value is Failure;

/**
 * A `Failure` of a new `CancelledError` with `message`, whose traceback is read when first asked for
 * (`getTraceback()`, reading `value`, or when a Deferred is left holding it unhandled: `trackFailure` asks) instead
 * of at once.
 *
 * Why: `cancel()` makes one per cancelled Deferred, and formatting an error's stack costs about as much as capturing
 * it (a CPU profile of 100,000 cancelled `acquire()`s: 40 % of the time in `.stack`'s formatting, 50 % in the
 * capture), while most cancellations are handled and their traceback never read. Reading it late is safe only for
 * an error the library made itself, and only while the error stays inside its `Failure`: nobody could rewrite its
 * `stack` before the `Failure` held it, and its captured frames (which reach the cancelled Deferred, and a
 * combinator's canceller with the combinator) are released by the read. The error leaves the `Failure` only through
 * `value`, which reads the traceback first: an error that carries it (a timeout's `TimeoutError` as its `cause`, a
 * `FirstError`, a user's error wrapping it) and is held by the unhandled-error registry would otherwise keep the
 * Deferred that failed with it alive, never collected and never reported. The stack is the same either way:
 * captured when the error is made. Internal to the Deferred family.
 */
export let cancelledFailure: (message: string) => Failure;

/** Set while {@link cancelledFailure} builds its `Failure`: the constructor leaves the traceback to be read later. */
let readTracebackLater = false;

/**
 * Wraps whatever a Deferred chain failed with (an `Error`, or any thrown value) so it can travel down the errback side.
 *
 * Errbacks receive a `Failure`, never the raw value: `check`/`trap` let an errback handle only the errors it
 * understands and pass the rest on, as Twisted's errbacks do. The traceback is read once, when the `Failure` is
 * made, because an `Error` whose `.stack` was never read keeps its stack frames (and whatever they reference,
 * such as the Deferred that failed) alive; a `Failure` kept for unhandled-error reporting must not do that. (The
 * one exception, a `cancel()`'s own `CancelledError`, is read when first needed: see `cancelledFailure`.)
 *
 * @example
 * ```ts
 * d.addErrback((f) => {
 *   f.trap(CancelledError); // anything else keeps failing down the chain
 *   return 'cancelled';
 * });
 * ```
 */
export class Failure {
  /** The value's constructor (`TypeError`…), or `undefined` when the value is not an object. */
  readonly type: ErrorType | undefined;
  readonly #value: unknown;
  #traceback: string | null; // null: not read yet (only for `cancelledFailure`'s)

  static {
    isFailure = (value): value is Failure => typeof value === 'object' && value !== null && #traceback in value;
    cancelledFailure = (message) => {
      readTracebackLater = true;
      const failure = new Failure(new CancelledError(message));
      readTracebackLater = false;
      return failure;
    };
  }

  /**
   * @param value - the error value to wrap; anything can be thrown in JavaScript, so anything is accepted.
   */
  constructor(value: unknown) {
    this.#value = value;
    if (typeof value === 'object' && value !== null) {
      this.type = readConstructor(value);
    } else if (typeof value === 'function') {
      this.type = Function;
    } else {
      this.type = undefined;
    }
    this.#traceback = readTracebackLater ? null : readTraceback(value);
  }

  /**
   * The wrapped error value, exactly as thrown or passed to `errback`.
   *
   * A cancellation's traceback not read yet is read first (see `cancelledFailure`): from here the error can go
   * anywhere (a `cause`, a rejection, a variable), and it must not take the cancelled Deferred along.
   */
  get value(): unknown {
    if (this.#traceback === null) this.#traceback = readTraceback(this.#value);
    return this.#value;
  }

  /**
   * Which of `types` the wrapped value is an instance of.
   *
   * @param types - error constructors to test, in order.
   * @returns the first matching constructor, or `null` when none matches.
   */
  check(...types: ErrorType[]): ErrorType | null {
    const value = this.#value;
    for (const type of types) {
      if (this.type === type) return type;
      if (typeof value === 'object' && value !== null && isInstance(value, type)) return type;
    }
    return null;
  }

  /**
   * Like {@link Failure.check}, but throws this same `Failure` when nothing matches.
   *
   * Inside an errback that means "I only handle these": a non-matching failure keeps the chain on its errback side
   * with the original `Failure`, not a new one.
   *
   * @param types - error constructors this errback handles.
   * @returns the first matching constructor.
   * @throws this `Failure` when no type matches.
   */
  trap(...types: ErrorType[]): ErrorType {
    const match = this.check(...types);
    if (match === null) throw this;
    return match;
  }

  /**
   * A short message for logs: the error's `message` when it is a string, else the value as a string.
   *
   * Always a string, read once, never a throw: the combinators build their `FirstError`'s message from it inside a
   * member's handler, where a throw (an error whose `message` is a `Symbol`) failed the member's chain instead and
   * left the combinator pending for ever.
   *
   * @returns the message.
   */
  getErrorMessage(): string {
    const value = this.#value;
    if (typeof value === 'object' && value !== null) {
      let message: unknown;
      try {
        message = (value as { message?: unknown }).message;
      } catch {
        // A hostile value (a throwing getter, a revoked Proxy): describe it without asking it anything more.
      }
      if (typeof message === 'string') return message;
    }
    return safeString(value);
  }

  /**
   * The traceback captured when this `Failure` was made: the error's stack, or a one-line description of a
   * thrown non-error value.
   *
   * @returns the traceback text.
   */
  getTraceback(): string {
    return (this.#traceback ??= readTraceback(this.#value));
  }

  /**
   * Throw the wrapped value (not the `Failure`), e.g. to turn a failure back into an ordinary exception.
   *
   * @throws the wrapped value, always.
   */
  raiseException(): never {
    throw this.value;
  }

  /** @returns `[Failure TypeError: message]`, for debugging (never a throw, whatever the value). */
  toString(): string {
    return `[Failure ${typeName(this.type) ?? typeof this.#value}: ${this.getErrorMessage()}]`;
  }
}

/** Render a thrown value as a traceback string, reading `.stack` now (see the class comment for why). */
function readTraceback(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    let stack: unknown;
    try {
      stack = (value as { stack?: unknown }).stack;
    } catch {
      stack = undefined;
    }
    if (typeof stack === 'string' && stack.length > 0) return stack;
    try {
      const name = (value as { name?: unknown }).name;
      const message = (value as { message?: unknown }).message;
      if (typeof message === 'string') return `${typeof name === 'string' ? name : 'Error'}: ${message}`;
    } catch {
      // a throwing `name`/`message` getter: fall back to the description below
    }
  }
  return `Non-error thrown: ${safeString(value)}`;
}

/** The value's constructor, or `undefined` when it has none or reading it throws (a getter, a revoked Proxy). */
function readConstructor(value: object): ErrorType | undefined {
  try {
    const ctor = (value as { constructor?: unknown }).constructor;
    return typeof ctor === 'function' ? ctor : undefined;
  } catch {
    return undefined;
  }
}

/** The constructor's `name` when it is a string, else `undefined` (a `name` getter may throw or give a Symbol). */
function typeName(type: ErrorType | undefined): string | undefined {
  try {
    const name: unknown = type?.name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/** `value instanceof type`, false when the test throws (a Proxy's trap, a `type` that is not a constructor). */
function isInstance(value: object, type: ErrorType): boolean {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}
