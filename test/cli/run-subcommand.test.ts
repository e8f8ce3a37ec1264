/**
 * The dispatch every command group shares (`greenreactor policy …`, `greenreactor remote …`).
 */
import { describe, expect, it } from '@jest/globals';
import type { CliIo } from '../../src/cli/cli-io.js';
import { policyCommand } from '../../src/cli/policy-command.js';
import { remoteCommand } from '../../src/cli/remote-command.js';
import { runSubcommand } from '../../src/cli/run-subcommand.js';

function recordingIo(): CliIo & { out: (text: string) => void; lines: { out: string[]; err: string[] } } {
  const lines = { out: [] as string[], err: [] as string[] };
  return { lines, out: (text: string) => lines.out.push(text), err: (text: string) => lines.err.push(text) };
}

describe('runSubcommand()', () => {
  const commands = { echo: (argv: readonly string[], io: CliIo) => (io.out(argv.join(' ')), Promise.resolve(7)) };

  it('runs the named command with the arguments after its name and returns its exit code', async () => {
    const io = recordingIo();
    expect(await runSubcommand('demo', 'usage: demo', commands, ['echo', 'a', 'b'], io)).toBe(7);
    expect(io.lines.out).toEqual(['a b']);
  });

  it('prints the usage on stdout and exits 0 for --help', async () => {
    const io = recordingIo();
    expect(await runSubcommand('demo', 'usage: demo', commands, ['--help'], io)).toBe(0);
    expect(io.lines.out).toEqual(['usage: demo']);
  });

  it.each([
    ['a missing command', [], 'greenreactor demo: missing command'],
    ['an unknown command', ['nope'], 'greenreactor demo: unknown command `nope`'],
    ["a name inherited from Object's prototype", ['constructor'], 'greenreactor demo: unknown command `constructor`'],
  ])('exits 2 with the usage on stderr for %s', async (_what, argv, message) => {
    const io = recordingIo();
    expect(await runSubcommand('demo', 'usage: demo', commands, argv, io)).toBe(2);
    expect(io.lines.err[0]).toBe(message);
    expect(io.lines.err.at(-1)).toBe('usage: demo');
  });
});

describe.each([
  ['policy', policyCommand],
  ['remote', remoteCommand],
])('greenreactor %s', (group, command) => {
  it('answers an unknown command the shared way', async () => {
    const io = recordingIo();
    expect(await command(['toString'], io)).toBe(2);
    expect(io.lines.err[0]).toBe(`greenreactor ${group}: unknown command \`toString\``);
  });
});
