/**
 * The worker script workerpool runs: registers the same functions greenreactor's tasks wrap.
 *
 * @module
 */
import workerpool from 'workerpool';
import { checksum, fib, tiny } from './workload-tasks.js';

workerpool.worker({ tiny, fib, checksum });
