/**
 * `greenreactor remote worker`'s options: each reaches the host, and a bad value is a usage error (exit 2), never a
 * host started with a default the user did not ask for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { CliIo } from '../../src/cli/cli-io.js';
import { remoteWorkerCommand } from '../../src/cli/remote-worker-command.js';

function recordingIo(): CliIo & { lines: { out: string[]; err: string[] } } {
  const lines = { out: [] as string[], err: [] as string[] };
  return { lines, out: (text: string) => lines.out.push(text), err: (text: string) => lines.err.push(text) };
}

const folder = mkdtempSync(join(tmpdir(), 'greenreactor-remote-cli-'));
/** A socket path nothing listens on: the host's start can only give up. */
const nowhere = `unix://${join(folder, 'no-redis.sock')}`;
const fixture = new URL('../../dist/test/fixtures/remote-tasks.js', import.meta.url).href;

afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('greenreactor remote worker', () => {
  it('--unreachable-ms bounds how long the start waits for Redis, and the host exits 1 naming that bound', async () => {
    const io = recordingIo();
    const code = await remoteWorkerCommand(['--queue', 'q', '--redis', nowhere, '--import', fixture, '--unreachable-ms', '150'], io);
    expect(code).toBe(1);
    expect(io.lines.err.join('\n')).toMatch(/could not start: .*could not be reached for 150 ms/);
  });

  it.each([
    [['--unreachable-ms', '0'], 'Expected --unreachable-ms to be a positive number, got `0`'],
    [['--unreachable-ms', 'soon'], 'Expected --unreachable-ms to be a positive number, got `soon`'],
    [['--cancel-grace-ms=-1'], 'Expected --cancel-grace-ms to be a non-negative number, got `-1`'],
    [['--cancel-grace-ms', ''], 'Expected --cancel-grace-ms to be a non-negative number, got ``'],
    [['--prefix', ''], 'Expected --prefix to be a non-empty key prefix'],
    [['--grace-ms=-1'], 'Expected --grace-ms to be a non-negative number, got `-1`'],
    [['--grace-ms', 'Infinity'], 'Expected --grace-ms to be a non-negative number, got `Infinity`'],
    [['--grace-ms', 'soon'], 'Expected --grace-ms to be a non-negative number, got `soon`'],
  ])('refuses %j with a usage error (exit 2) before connecting', async (option, message) => {
    const io = recordingIo();
    const code = await remoteWorkerCommand(['--queue', 'q', '--redis', nowhere, '--import', fixture, ...option], io);
    expect(code).toBe(2);
    expect(io.lines.err.join('\n')).toContain(message);
  });

  it('--help lists --grace-ms, the close grace on SIGTERM, with its default', async () => {
    const io = recordingIo();
    expect(await remoteWorkerCommand(['--help'], io)).toBe(0);
    expect(io.lines.out.join('\n')).toMatch(/--grace-ms <ms> +on SIGTERM or SIGINT, how long running jobs may still take[^]*\(default 5000\)/);
  });

  it('accepts --cancel-grace-ms 0 (terminate at once) and --prefix, then gives up on the unreachable Redis', async () => {
    const io = recordingIo();
    const argv = ['--queue', 'q', '--redis', nowhere, '--import', fixture, '--unreachable-ms', '100', '--cancel-grace-ms', '0', '--prefix', 'mine'];
    expect(await remoteWorkerCommand(argv, io)).toBe(1);
    expect(io.lines.err.join('\n')).toContain('could not be reached for 100 ms');
  });
});
