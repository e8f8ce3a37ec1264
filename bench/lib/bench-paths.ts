/**
 * Where benchmark results and generated docs live, wherever the bench code runs from.
 *
 * Suites run compiled (`dist/bench/*.js`) but results belong in the source tree
 * (`bench/results/`, `docs/`), so paths are found from the package root, not from the module.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Finds the package root: the nearest ancestor of this module holding a `package.json`.
 * @returns the absolute path.
 * @throws Error when none is found (the code was copied out of its package).
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The default directory of `<suite>.json` files: `<root>/bench/results`. */
export function defaultResultsDir(): string {
  return join(packageRoot(), 'bench', 'results');
}

/** The default directory of the generated `benchmarks.md` and charts: `<root>/docs`. */
export function defaultDocsDir(): string {
  return join(packageRoot(), 'docs');
}

/** The directory the compiled suites live in (`<root>/dist/bench`). */
export function compiledBenchDir(): string {
  return join(packageRoot(), 'dist', 'bench');
}
