import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./fixtures/hub-exits.ts', import.meta.url));

describe('Hub handles', () => {
  it('an idle hub holds no handle: a script whose greenlets are done exits by itself', async () => {
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', script], { timeout: 30_000 }, (_error, out) =>
        resolve({ code: child.exitCode, stdout: out }),
      );
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trim()) as string[]).toEqual(['async', 'parked', 'slept', 'switched']);
  });
});
