/**
 * `greenreactor/remote-bullmq`: the remote route on BullMQ and Redis (SPEC §11).
 *
 * The only entry point that loads `bullmq` and `ioredis` (optional peer dependencies: install them to use it);
 * `import 'greenreactor'` never does. A caller makes a backend for its reactor; worker hosts serve the same queue.
 *
 * @example
 * ```ts
 * import { Reactor } from 'greenreactor';
 * import { bullmqBackend } from 'greenreactor/remote-bullmq';
 * const reactor = new Reactor({ remote: bullmqBackend({ connection: { url: 'redis://localhost:6379' }, queue: 'tasks' }) });
 * ```
 *
 * @module
 */
export { bullmqBackend } from './bullmq-backend.js';
export { defaultBullmqBackendOptions } from './bullmq-backend-options.js';
export { runRemoteWorker } from './run-remote-worker.js';
export { defaultRemoteWorkerCloseOptions } from './remote-worker-options.js';
export { ReturnedMarkNotWrittenError } from './returned-mark.js';
export { parseRedisUrl } from './redis-connection-options.js';
export type { BullmqBackendOptions } from './bullmq-backend-options.js';
export type { RemoteWorker, RemoteWorkerCloseOptions, RemoteWorkerOptions } from './remote-worker-options.js';
export type { RedisConnectionOptions } from './redis-connection-options.js';
export type { RemoteBackend, RemoteCallContext, RemoteStats, RemotePercentiles } from '../reactor/remote-backend.js';
