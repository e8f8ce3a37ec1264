/**
 * `greenreactor/worker`: what a task running in a worker thread can use.
 *
 * Cancellation (`cancelled`, `throwIfCancelled`, `signal`), streams (`emit`, `progress`), calls back into the main thread
 * (`blockingCallFromThread`, `callFromThread`) and `transferResult`. Importing it has no side effects: it starts
 * no reactor or pool and opens no handle; outside a thread task `cancelled()` is false and `signal` never aborts.
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
