import { describe, it, expect } from '@jest/globals';
import { execFile } from 'node:child_process';

// Runs the built policy in a fresh process: it must exit by itself while watching a file and measuring the loop.
const policyModule = new URL('../../dist/src/policy/policy.js', import.meta.url).href;
const monitorModule = new URL('../../dist/src/policy/loop-delay-monitor.js', import.meta.url).href;

describe('Policy', () => {
  it('keeps no handle open while it watches a file and measures the loop', async () => {
    const script = `
      import { writeFileSync, mkdtempSync } from 'node:fs';
      import { join } from 'node:path';
      import { tmpdir } from 'node:os';
      const { Policy } = await import(${JSON.stringify(policyModule)});
      const { LoopDelayMonitor } = await import(${JSON.stringify(monitorModule)});
      const file = join(mkdtempSync(join(tmpdir(), 'gr-handles-')), 'p.json');
      writeFileSync(file, '{}');
      const policy = Policy.load(file);
      policy.watch(file);
      new LoopDelayMonitor().p99();
      writeFileSync(file, '{ "default": "green" }');
      console.log('armed');
    `;
    const started = Date.now();
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 }, (error, out) => {
        resolve({ code: error === null ? 0 : (child.exitCode ?? -1), stdout: out });
      });
    });
    expect(stdout.trim()).toBe('armed');
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
