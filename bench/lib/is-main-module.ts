/**
 * Tells whether a module is the program's entry point, so a bench file can both export `run()`
 * for the runner and run itself when executed directly (`node dist/bench/x.bench.js`).
 *
 * @module
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * @param moduleUrl - the caller's `import.meta.url`.
 * @returns true when `process.argv[1]` is that module.
 * @example
 * ```ts
 * if (isMainModule(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
 * ```
 */
export function isMainModule(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}
