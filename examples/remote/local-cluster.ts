/**
 * `startLocalCluster`: a redis-server on a unix socket in a temp folder and remote worker hosts
 * (`greenreactor remote worker`) as child processes on this machine — what the remote demo and the remote
 * benchmark run against.
 *
 * Needs `redis-server` on the PATH (`apt-get install -y redis-server`, `brew install redis`).
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** What {@link startLocalCluster} started. */
export interface LocalCluster {
  /** The server's unix socket (`connection: { path: socket }`). */
  readonly socket: string;
  /** The host processes, in start order. */
  readonly hosts: readonly ChildProcess[];
  /** Stops the hosts (SIGTERM: they finish their running jobs), then the server, and removes the folder. */
  stop(): Promise<void>;
}

/** Options of {@link startLocalCluster}. */
export interface LocalClusterOptions {
  /** The queue the hosts serve. */
  readonly queue: string;
  /** Path of the task module the hosts import. */
  readonly tasks: string;
  /** How many hosts. */
  readonly hosts: number;
  /** More `remote worker` options (e.g. `['--concurrency', '1']`). */
  readonly hostArgs?: readonly string[];
}

/**
 * Starts the server, then the hosts, and resolves once every host serves the queue.
 * @param options - queue, task module, number of hosts, extra host options.
 * @returns the cluster.
 * @throws Error when redis-server is missing or a process exits before it is ready.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'greenreactor-remote-'));
  const socket = join(dir, 'redis.sock');
  const started: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const child of [...started].reverse()) await stopProcess(child, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    started.push(await startProcess('redis-server', ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no', '--dir', dir], /ready to accept connections/i));
    const args = [cli, 'remote', 'worker', '--queue', options.queue, '--redis', `unix://${socket}`, '--import', options.tasks, ...(options.hostArgs ?? [])];
    const hosts = await Promise.all(Array.from({ length: options.hosts }, () => startProcess(process.execPath, args, /serving queue/)));
    started.push(...hosts);
    return { socket, hosts, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Sends `signal` to a child process and resolves once it exited.
 * @param child - the process.
 * @param signal - the signal.
 */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Spawns `command` and resolves once its stdout matches `ready`. */
function startProcess(command: string, args: readonly string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error(`${command} not found: install it (apt-get install -y redis-server, brew install redis)`) : error),
    );
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (ready.test(out)) {
        child.stdout.resume();
        resolve(child);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`${command} exited (${String(code)}) before it was ready:\n${out}`)));
  });
}
