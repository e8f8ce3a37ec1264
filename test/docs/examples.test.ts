/**
 * Runs every ```` ```ts runnable ```` block of README.md and docs/*.md as a consumer would: written to a `.mts`
 * file in a temporary project whose `node_modules/greenreactor` links to this repository (so `'greenreactor'`
 * resolves through package.json "exports" to the built dist/; see docs-project.ts), run with `node --import tsx`
 * (tsx linked in too). Each must exit 0 by itself (no `process.exit`, no open handle) and print what its
 * `// prints:` comments say.
 *
 * Needs the build (`npm test` builds first).
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runChild } from '../helpers/run-child.js';
import { blockFileName, docsRunnableBlocks, makeDocsProject } from './docs-project.js';
import { runnableBlocks } from './runnable-blocks.js';

const blocks = docsRunnableBlocks();

/**
 * How long one example may run before it counts as hung, and how long its test may take (longer, so a slow example
 * fails with its own output). A bound, not synchronisation: `node --import tsx` alone takes seconds on a loaded machine.
 */
const childMs = 60_000;
const testMs = childMs + 10_000;

// The project is made in the file's top-level hooks: Jest starts `it.concurrent` tests once the top-level `beforeAll`
// hooks have run, before any `describe`'s own.
let dir: string;

beforeAll(() => {
  // `--import tsx` by name, as a user runs it (workers re-register tsx when they see that name).
  dir = makeDocsProject('greenreactor-docs-', ['tsx']);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('runnable examples in the docs', () => {
  it('finds runnable examples in the README and the guide', () => {
    expect(blocks.filter((b) => b.file === 'README.md').length).toBeGreaterThan(0);
    expect(new Set(blocks.map((b) => b.file)).size).toBeGreaterThan(3);
  });

  // Each example is its own process and the test only waits for it: several run at once (jest.config.js's
  // `maxConcurrency`), which takes this file from about a minute to a third of that on two cores.
  it.concurrent.each(blocks.map((b) => [`${b.file}:${b.line}`, b] as const))('%s runs, exits 0 by itself and prints what it says', async (_title, block) => {
    const name = blockFileName(block);
    writeFileSync(join(dir, name), block.code);
    const result = await runChild(process.execPath, ['--import', 'tsx', name], { cwd: dir, timeoutMs: childMs });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    for (const text of block.prints) expect(result.stdout).toContain(text);
  }, testMs);
});

describe('runnableBlocks()', () => {
  it('extracts only blocks opened with ```ts runnable, with their line and // prints: texts', () => {
    const md = ['# t', '```ts', 'skip();', '```', '', '```ts runnable', 'console.log(1); // prints: 1', '```'].join('\n');
    expect(runnableBlocks('x.md', md)).toEqual([{ file: 'x.md', line: 6, code: 'console.log(1); // prints: 1\n', prints: ['1'] }]);
  });

  it('throws on an unclosed runnable block', () => {
    expect(() => runnableBlocks('x.md', '```ts runnable\nfoo();\n')).toThrow('x.md:1');
  });
});
