/**
 * Hostile values for tests of the "is it awaitable?" probe: user code that runs, and throws, when a library reads
 * `then` or calls it. Every public entry point that follows thenables must turn these into a failure of the call,
 * never a synchronous throw or a crash.
 *
 * @module
 */

/**
 * An object whose `then` getter throws `error`.
 *
 * @param error - what reading `then` throws.
 * @returns the object.
 */
export function withThrowingThenGetter(error: unknown): object {
  return Object.defineProperty({}, 'then', {
    get() {
      throw error;
    },
  });
}

/**
 * A thenable whose `then`, once called, first calls `before` (if given) with its handlers and then throws `error`.
 *
 * @param error - what calling `then` throws.
 * @param before - what to do with the handlers before throwing (e.g. resolve first).
 * @returns the thenable.
 */
export function withThrowingThen(
  error: unknown,
  before?: (resolve: (value: unknown) => void, reject: (reason: unknown) => void) => void,
): PromiseLike<unknown> {
  return {
    then(resolve: (value: unknown) => void, reject: (reason: unknown) => void) {
      before?.(resolve, reject);
      throw error;
    },
  } as PromiseLike<unknown>;
}

/**
 * A revoked Proxy: every operation on it throws a `TypeError` (reading `then`, `instanceof`, `String()`, a structured
 * clone), the most hostile input an entry point can be handed (cast it to the parameter's type to pass it).
 *
 * @returns a new revoked Proxy.
 */
export function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/**
 * An object whose `code` getter throws `RangeError('code getter broke')`: what the library reads first of a thrown
 * value to recognise its own errors (by their stable `code`), so an error path that reads it unguarded throws.
 *
 * @returns the object.
 */
export function withThrowingCodeGetter(): object {
  return {
    get code(): unknown {
      throw new RangeError('code getter broke');
    },
  };
}

/**
 * A Proxy whose traps a brand check must not run: `getPrototypeOf` (`instanceof`), `get`, `has`, `ownKeys` and
 * `getOwnPropertyDescriptor` throw `Error('trap ran')`.
 *
 * @returns the Proxy.
 */
export function proxyWithThrowingTraps(): object {
  const boom = (): never => {
    throw new Error('trap ran');
  };
  return new Proxy({}, { getPrototypeOf: boom, get: boom, ownKeys: boom, getOwnPropertyDescriptor: boom, has: boom });
}
