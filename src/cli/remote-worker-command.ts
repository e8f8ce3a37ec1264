/**
 * `greenreactor remote worker`: a worker host of the remote route, from a shell.
 *
 * Loads `greenreactor/remote-bullmq` (and so `bullmq`) only when run, so the rest of the command line works
 * without the optional peer dependencies.
 *
 * @module
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { exitCodes, usageError, withUsage, type CliIo } from './cli-io.js';
// Options only (no bullmq import): the command still loads BullMQ only when it runs.
import { defaultRemoteWorkerCloseOptions } from '../remote-bullmq/remote-worker-options.js';

/** Usage of `greenreactor remote worker`. */
export const remoteWorkerUsage = `usage: greenreactor remote worker --queue <name> --redis <url> --import <task module>... [options]

Serves the queue's remote tasks on this machine until SIGTERM or SIGINT (then lets the running jobs finish within
--grace-ms, and stops those still running).

options:
  --queue <name>               the queue (the callers' bullmqBackend({ queue }))
  --redis <url>                redis://host:port[/db], rediss://… or unix:///path/to/redis.sock (default redis://127.0.0.1:6379)
  --import <module>            a task module to serve (a path or URL; repeat for several); only its exported Tasks run here
  --concurrency <n>            jobs (and threads) at once (default 1)
  --stalled-interval-ms <ms>   how often dead hosts' jobs are looked for (default 30000)
  --lock-duration-ms <ms>      how long a job's lock lasts without renewal (default 30000)
  --cancel-grace-ms <ms>       how long a cancelled or timed-out task may run on before its thread ends (default 1000)
  --grace-ms <ms>              on SIGTERM or SIGINT, how long running jobs may still take before they are stopped
                               (their callers get WorkerCrashedError, or a re-run under retries) (default ${defaultRemoteWorkerCloseOptions.graceMs})
  --unreachable-ms <ms>        how long the start waits for Redis before it gives up (default 10000)
  --prefix <prefix>            BullMQ's key prefix; the callers must use the same (default bull)
  -h, --help                   show this help

Needs the optional peer dependencies: npm install bullmq ioredis`;

/**
 * Runs `remote worker`.
 * @param argv - the arguments after `worker`.
 * @param io - where to write.
 * @returns 0 after a clean stop on a signal; 1 when the host could not start; 2 on bad usage or missing bullmq.
 */
export async function remoteWorkerCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return withUsage(io, remoteWorkerUsage, async () => {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: {
        queue: { type: 'string' },
        redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
        import: { type: 'string', multiple: true },
        concurrency: { type: 'string' },
        'stalled-interval-ms': { type: 'string' },
        'lock-duration-ms': { type: 'string' },
        'cancel-grace-ms': { type: 'string' },
        'grace-ms': { type: 'string' },
        'unreachable-ms': { type: 'string' },
        prefix: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help === true) {
      io.out(remoteWorkerUsage);
      return exitCodes.ok;
    }
    if (positionals.length > 0) throw usageError(`unexpected argument \`${positionals[0]}\``);
    if (values.queue === undefined) throw usageError('remote worker needs --queue <name>');
    const imports = (values.import ?? []).map((m) => (/^[a-z][a-z0-9+.-]*:/i.test(m) && !/^[a-z]:[\\/]/i.test(m) ? m : pathToFileURL(resolve(m)).href));
    if (imports.length === 0) throw usageError('remote worker needs at least one --import <task module>');
    const number = (name: string, text: string | undefined, zeroAllowed = false): number | undefined => {
      if (text === undefined) return undefined;
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n) || n < 0 || (n === 0 && !zeroAllowed)) {
        throw usageError(`Expected --${name} to be a ${zeroAllowed ? 'non-negative' : 'positive'} number, got \`${text}\``);
      }
      return n;
    };
    const concurrency = number('concurrency', values.concurrency);
    const stalledIntervalMs = number('stalled-interval-ms', values['stalled-interval-ms']);
    const lockDurationMs = number('lock-duration-ms', values['lock-duration-ms']);
    const cancelGraceMs = number('cancel-grace-ms', values['cancel-grace-ms'], true);
    const unreachableMs = number('unreachable-ms', values['unreachable-ms']);
    // Checked here, before connecting: the host's close() would only refuse it at the signal, after serving for hours.
    const graceMs = number('grace-ms', values['grace-ms'], true) ?? defaultRemoteWorkerCloseOptions.graceMs;
    if (values.prefix === '') throw usageError('Expected --prefix to be a non-empty key prefix');

    let remote: typeof import('../remote-bullmq/index.js');
    try {
      remote = await import('../remote-bullmq/index.js');
    } catch (error) {
      io.err(`greenreactor remote worker: cannot load BullMQ (${(error as Error)?.message ?? String(error)}); install the optional peer dependencies: npm install bullmq ioredis`);
      return exitCodes.usage;
    }
    let connection;
    try {
      connection = remote.parseRedisUrl(values.redis);
    } catch (error) {
      throw usageError((error as Error).message);
    }
    let host;
    try {
      host = await remote.runRemoteWorker({
        connection,
        queue: values.queue,
        imports,
        ...(concurrency === undefined ? {} : { concurrency }),
        ...(stalledIntervalMs === undefined ? {} : { stalledIntervalMs }),
        ...(lockDurationMs === undefined ? {} : { lockDurationMs }),
        ...(cancelGraceMs === undefined ? {} : { cancelGraceMs }),
        ...(unreachableMs === undefined ? {} : { unreachableMs }),
        ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
        onError: (error) => io.err(`greenreactor remote worker: ${(error as Error)?.message ?? String(error)}`),
      });
    } catch (error) {
      io.err(`greenreactor remote worker: could not start: ${(error as Error)?.message ?? String(error)}`);
      return exitCodes.failed;
    }
    io.out(`greenreactor remote worker: pid ${process.pid} serving queue \`${values.queue}\` with ${host.tasks.length} task(s): ${host.tasks.join(', ')}`);
    const signal = await new Promise<NodeJS.Signals>((done) => {
      process.once('SIGTERM', () => done('SIGTERM'));
      process.once('SIGINT', () => done('SIGINT'));
    });
    io.out(`greenreactor remote worker: ${signal}: finishing the running jobs (within ${graceMs} ms)`);
    await host.close({ graceMs });
    return exitCodes.ok;
  });
}
