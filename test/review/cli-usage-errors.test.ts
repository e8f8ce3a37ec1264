/**
 * Adversarial tests of the built `greenreactor` bin's usage errors for the commands that hand their arguments on
 * (`bench` to the benchmark runner, `demo` to the demos): a bad flag or name is a diagnostic, so it goes to stderr
 * with exit code 2 and nothing on stdout, as every other command's does (a script piping stdout must not read
 * "Unknown option ..." as output).
 *
 * @module
 */
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

describe('greenreactor bench and demo usage errors', () => {
  it.each<[string[], string]>([
    [['bench', '--nope'], 'Unknown option `--nope`'],
    [['bench', '--time'], 'Expected a value after `--time`'],
    [['bench', 'no-such-suite'], 'Unknown suite `no-such-suite`'],
    [['demo', '--nope'], 'Unknown argument --nope'],
    [['demo', 'no-such-demo'], 'Unknown argument no-such-demo'],
  ])('%j exits 2 with the error and the usage on stderr, nothing on stdout', async (args, error) => {
    const run = await cli(...args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(error);
    expect(run.stderr).toContain(`usage: greenreactor ${args[0]!}`);
  });
});
