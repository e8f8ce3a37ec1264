/**
 * The lookup as a task, in a module of its own so a worker thread can import it.
 *
 * A worker cannot receive a function, only a module URL and an export name: `defineTask` records
 * both (`import.meta.url`, `'lookupTask'`), and this module must export the task under that
 * name. Keep such modules light — every worker imports them — which is why the TCP server lives
 * elsewhere.
 *
 * @module
 */
import { defineTask } from '../../src/index.js'; // in your code: from 'greenreactor'
import { lookupRange } from './lookup-database.js';

/**
 * `lookupTask(file, key, lo, hi)`: the blocking lookup, runnable on every path.
 * `kind: 'blocking'` tells the policy's `auto` route to send it to threads.
 */
export const lookupTask = defineTask(import.meta.url, 'lookupTask', lookupRange, { kind: 'blocking' });
