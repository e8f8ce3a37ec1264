/**
 * `greenreactor/worker`: what a task uses from inside its run (SPEC §5, §9, §10).
 *
 * Cancellation (`cancelled`, `throwIfCancelled`, `signal`: readable inside a synchronous CPU loop, through shared
 * memory), calls back into the main thread (`blockingCallFromThread`, `callFromThread`, to functions the main thread
 * `expose`d) and `transferResult` are for thread tasks; streams (`emit`, `progress`) and the effective deadline
 * (`deadline`) work on every path (thread, green, inline), so one task definition runs unchanged wherever the policy
 * sends it. `defineContextCarrier` is here too because task modules, which workers import, register carriers.
 * Importing it has no side effects: it starts no reactor or pool and opens no handle; outside a thread task
 * `cancelled()` is false and `signal` never aborts, and `blockingCallFromThread`/`callFromThread` throw `TypeError`
 * at once (the first would deadlock on the main thread; the second has no main thread to call from there).
 *
 * @module
 */
export { cancelled, throwIfCancelled, signal } from './cancellation.js';
export { blockingCallFromThread, callFromThread } from './thread-calls.js';
export { transferResult } from './transfer-result.js';
export { deadline } from './deadline.js';
export { defineContextCarrier } from '../context/context-carrier.js';
export { emit } from './emit.js';
export { progress } from './progress.js';
