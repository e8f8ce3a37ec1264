/**
 * Adversarial test of the built `greenreactor` bin writing to a pipe its reader closed (`greenreactor soak | head -1`):
 * the writes after that fail with EPIPE, reported by Node as an 'error' event on process.stdout; with no listener
 * that event ends the process with a stack dump. The command must run on and end with its own exit code.
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

describe('greenreactor soak | head -1', () => {
  it('ends with the soak\'s exit code and no stack dump when stdout is closed after the first line', async () => {
    // Calls enough that the measured round outlasts several of its 500 ms progress ticks: its first line comes at the
    // first tick, and the later lines and the report are written after the reader went away (1,000 calls take over
    // a second of measured round on an idle machine, and longer under load, where this process is slower too).
    const child = spawn(process.execPath, ['--expose-gc', bin, 'soak', '--calls', '1000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.once('data', () => child.stdout.destroy()); // the reader goes away after its first line
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(stderr).not.toContain("Unhandled 'error' event");
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  }, 180_000);
});
