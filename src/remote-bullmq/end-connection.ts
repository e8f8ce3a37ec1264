/**
 * `endConnection`: ends a Redis client's connection at once, whatever its state, arming nothing once it has ended.
 *
 * Why: ioredis's `disconnect()` on a client whose connection already closed (its `quit()` answered and the socket
 * closed: status `end`) still ends the old socket and arms a 2 s timer that only the socket's `close` event clears —
 * an event that had already fired. Every close path here calls `quit()` then `disconnect()` (whatever the state, see
 * `closeEngine`), so a closed backend or host kept its user's process alive 2 s per client (SPEC §11: no handle left
 * open).
 *
 * So a close that ends its clients also waits for them: a `quit()` resolves on the server's answer, before the socket
 * closed, and the `disconnect()` that follows arms that timer too — cleared once the socket closes, which the close
 * now waits for (its promise resolving with the process's handles still open was the same leak, seen by its caller).
 *
 * Invariants: a client in status `end` is left as it is (nothing to end); any other status is `disconnect()`ed, which
 * also stops its reconnecting; the promise resolves at the client's `end` event (its socket closed; ioredis destroys a
 * socket still open 2 s after), never rejects.
 *
 * @module
 */
import type { Redis } from 'ioredis';

/**
 * Ends `client`'s connection, unless it has ended already.
 * @param client - the client; `undefined` (never made) is a no-op.
 * @returns resolves once the client has ended (at once when it had, or was never made).
 */
export function endConnection(client: Redis | undefined): Promise<void> {
  if (client === undefined || client.status === 'end') return Promise.resolve();
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  client.disconnect();
  return ended;
}
