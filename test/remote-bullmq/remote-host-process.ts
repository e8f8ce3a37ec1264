/**
 * Worker hosts as child processes (`greenreactor remote worker` from the built CLI), for tests that kill one.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const fixtures = fileURLToPath(new URL('../../dist/test/fixtures/remote-tasks.js', import.meta.url));

/** A host process. */
export interface HostProcess {
  readonly pid: number;
  /** Kills it with `signal` and waits until it exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts a host serving `queue` from the Redis at `url`, with short lock and stalled-check periods, and waits until
 * it says it serves the queue.
 * @param url - the `--redis` URL.
 * @param queue - the queue.
 * @param extra - more CLI options.
 * @returns the host.
 */
export async function startHostProcess(url: string, queue: string, extra: readonly string[] = []): Promise<HostProcess> {
  const child = spawn(
    process.execPath,
    [cli, 'remote', 'worker', '--queue', queue, '--redis', url, '--import', fixtures, '--stalled-interval-ms', '250', '--lock-duration-ms', '1000', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('serving queue')) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`the host exited with code ${String(code)} before serving:\n${output}`)));
  });
  return { pid: child.pid!, kill: (signal = 'SIGKILL') => kill(child, signal) };
}

function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
