/**
 * A process whose pool lost workers to an uncaught error thrown just after a task returned (a microtask the task
 * queued) exits by itself once the pool is closed: SPEC §5 ("no handle left open"), the brief ("`stop()` always
 * ends").
 *
 * Found (round 21): with Piscina's default synchronous idle loop, a worker whose task had returned could die of
 * such an error while Piscina's code in it went on into `Atomics.wait` for its next task. The worker reported the
 * error and never exited: `terminate()` did not reach it, its ports stayed ref'd, and after `close()` the process
 * lived for ever (raw Piscina 5.3.2 on Node 20 does the same: a task that queues a throwing microtask and returns,
 * then `destroy()`, left 1–3 ports open in 5 runs of 7). Run in a child process, on the built library, so that what
 * keeps the process alive is only the pool's.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';

/** The child: runs `rounds` calls that each end their worker after returning, closes the pool, and does not exit. */
const script = `
const root = process.argv[1];
const coalesce = process.argv[2] === 'on' ? undefined : false;
const { ThreadPool } = await import(root + '/dist/src/threads/thread-pool.js');
const { endsUnlessOpen } = await import(root + '/dist/test/fixtures/finished-results-tasks.js');
const pool = new ThreadPool({ minThreads: 1, maxThreads: 1, coalesce }, { onError: () => undefined });
const outcomes = [];
for (let i = 0; i < 8; i++) {
  // Closed cells: the call returns 1 after queueing a microtask that throws outside the task.
  const cells = new Int32Array(new SharedArrayBuffer(8));
  outcomes.push(await pool.run(endsUnlessOpen, cells, 'throw').then((v) => String(v), (e) => e.name));
}
await pool.close();
process.stdout.write(JSON.stringify({ outcomes: [...new Set(outcomes)].sort() }) + '\\n');
`;

/** Runs the child; kills it when it has not exited `guardMs` after it printed its line. */
async function runChild(coalesce: 'on' | 'off', guardMs: number): Promise<{ code: number | null; exitedByItself: boolean; out: string; err: string }> {
  const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, root, coalesce], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let guard: NodeJS.Timeout | undefined;
  let killed = false;
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    guard ??= setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, guardMs);
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(guard);
  return { code, exitedByItself: !killed, out, err };
}

describe('ThreadPool whose workers died of an error thrown just after their task returned', () => {
  it.each<['on' | 'off']>([['on'], ['off']])('lets the process exit by itself after close() (coalescing %s)', async (coalesce) => {
    const { code, exitedByItself, out, err } = await runChild(coalesce, 15_000);
    expect({ exitedByItself, code, err }).toEqual({ exitedByItself: true, code: 0, err: '' });
    // Each call ends with its value or, when the crash overtook the reply, WorkerCrashedError: never a hang.
    const { outcomes } = JSON.parse(out) as { outcomes: string[] };
    expect(outcomes.every((o) => o === '1' || o === 'WorkerCrashedError')).toBe(true);
  }, 60_000);
});
