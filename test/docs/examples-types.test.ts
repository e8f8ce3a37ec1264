/**
 * Type-checks every ```` ```ts runnable ```` block of README.md and docs/*.md as a strict TypeScript user's project
 * would: the blocks as `.mts` files in a temporary project whose `'greenreactor'` resolves to the built package
 * and its declarations (see docs-project.ts), checked with `tsc --noEmit` under the repository's own strict
 * settings. Running an example (test/docs/examples.test.ts) goes through tsx, which strips types without checking
 * them: an example that runs can still fail to compile in the project of a user who copies it.
 *
 * Needs the build (`npm test` builds first).
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { runChild } from '../helpers/run-child.js';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blockFileName, docsRunnableBlocks, makeDocsProject, repo } from './docs-project.js';

/** How long tsc may take (a bound against a hang, not synchronisation: tsc takes seconds on a loaded machine). */
const tscMs = 120_000;

/** The repository's strict compiler settings (tsconfig.json), as a consumer's project would have them. */
const compilerOptions = {
  target: 'ES2023',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  types: ['node'],
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noImplicitOverride: true,
  noImplicitReturns: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  useUnknownInCatchVariables: true,
  isolatedModules: true,
  verbatimModuleSyntax: true,
  skipLibCheck: true,
  noEmit: true,
};

describe('runnable examples in the docs, type-checked', () => {
  let dir: string;

  beforeAll(() => {
    // bullmq and ioredis: the declarations of greenreactor/remote-bullmq, used by docs/remote.md, import theirs.
    dir = makeDocsProject('greenreactor-docs-types-', ['@types/node', 'bullmq', 'ioredis']);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('compile under strict settings against the built declarations, with no error', async () => {
    const files = docsRunnableBlocks().map((block) => {
      const name = blockFileName(block);
      writeFileSync(join(dir, name), block.code);
      return name;
    });
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    const run = await runChild(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, timeoutMs: tscMs });
    const out = { code: run.code, out: run.stdout + run.stderr };
    expect(files.length).toBeGreaterThan(10);
    expect(out).toEqual({ code: 0, out: '' });
  }, tscMs + 10_000);
});
