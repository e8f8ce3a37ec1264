/**
 * `import 'greenreactor'` loads no BullMQ code: only the `greenreactor/remote-bullmq` entry point does, and only
 * src/remote-bullmq/ imports `bullmq` or `ioredis`. Checked in a fresh Node process on the built package.
 */
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

/** The `node_modules` packages among bullmq/ioredis that a fresh process has loaded after importing `entry`. */
async function enginePackagesLoadedBy(entry: string): Promise<string[]> {
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(join(root, entry))});
    const cache = createRequire(import.meta.url).cache;
    const hits = new Set(Object.keys(cache).map((f) => /node_modules\\/(bullmq|ioredis)\\//.exec(f)?.[1]).filter(Boolean));
    console.log(JSON.stringify([...hits].sort()));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
  return JSON.parse(stdout.trim()) as string[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe("import 'greenreactor'", () => {
  it('loads neither bullmq nor ioredis', async () => {
    expect(await enginePackagesLoadedBy('dist/src/index.js')).toEqual([]);
  });

  it('while greenreactor/remote-bullmq loads both (the check sees them when they load)', async () => {
    expect(await enginePackagesLoadedBy('dist/src/remote-bullmq/index.js')).toEqual(['bullmq', 'ioredis']);
  });
});

describe('src/', () => {
  it('imports bullmq and ioredis only from src/remote-bullmq/', () => {
    const importers = sourceFiles(join(root, 'src'))
      .filter((file) => /from '(bullmq|ioredis)'|import\('(bullmq|ioredis)'\)/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file));
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.filter((file) => !file.startsWith('src/remote-bullmq/'))).toEqual([]);
  });
});
