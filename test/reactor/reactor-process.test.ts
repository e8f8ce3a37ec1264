import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = fileURLToPath(new URL('./fixtures/lifecycle-script.ts', import.meta.url));

/** Run the fixture in a fresh Node process; a process that does not exit by itself is killed after 20 s. */
function runScript(mode: string): { status: number | null; signal: NodeJS.Signals | null; lines: string[]; stderr: string } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', script, mode], {
    cwd: root,
    encoding: 'utf8',
    timeout: 20_000,
    killSignal: 'SIGKILL',
  });
  return { status: child.status, signal: child.signal, lines: child.stdout.trim().split('\n'), stderr: child.stderr };
}

describe('Reactor (in a child process)', () => {
  it('lets a script that is done exit without stop(), idle reactors and stats() included', () => {
    const result = runScript('idle');
    expect(result.stderr).toBe('');
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    expect(result.lines).toEqual(['script done', 'timers fired']);
  });

  it('holds the process open while run() waits, and lets it exit once stop() finished', () => {
    const result = runScript('run');
    expect(result.stderr).toBe('');
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    expect(result.lines).toEqual(['running', 'stopping', 'after trigger', 'run resolved']);
  });
});
