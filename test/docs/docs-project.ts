/**
 * A throw-away consumer project for the docs' runnable examples: a temporary directory (outside the repository)
 * whose `node_modules/greenreactor` links to this repository, so `'greenreactor'` resolves through package.json
 * "exports" to the built `dist/` and its declarations, as in a user's project.
 *
 * Shared by the test that runs the examples and the one that type-checks them, so both see the same project.
 *
 * @module
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runnableBlocks, type RunnableBlock } from './runnable-blocks.js';

/** The repository root. */
export const repo = fileURLToPath(new URL('../../', import.meta.url));

/** @returns the runnable blocks of README.md and docs/*.md, in file order. */
export function docsRunnableBlocks(): RunnableBlock[] {
  const docs = ['README.md', ...readdirSync(join(repo, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  return docs.flatMap((file) => runnableBlocks(file, readFileSync(join(repo, file), 'utf8')));
}

/**
 * @param block - a runnable block.
 * @returns the `.mts` file name it is written to in the project (its file and line: `docs-threads-md-16.mts`).
 */
export function blockFileName(block: RunnableBlock): string {
  return `${block.file.replace(/[^a-z0-9]+/gi, '-')}-${block.line}.mts`;
}

/**
 * Makes the project.
 * @param prefix - the temporary directory's name prefix.
 * @param packages - packages of the repository's `node_modules` to link in beside greenreactor (`tsx`,
 *   `@types/node`…), by name.
 * @returns the project's directory; the caller removes it.
 */
export function makeDocsProject(prefix: string, packages: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(repo, join(dir, 'node_modules', 'greenreactor'), 'dir');
  for (const name of packages) {
    mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true });
    symlinkSync(join(repo, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'docs-examples', private: true, type: 'module' }));
  return dir;
}
