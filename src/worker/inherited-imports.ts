/**
 * Worker side: applies the main process's `--import` preloads (TypeScript loaders such as tsx) in a worker.
 *
 * Before Node 22.2, a worker inherits the parent's `execArgv`, but the module hooks its `--import` preloads
 * register (`module.register()`) do not reach the worker's own loader, so a worker of a process started with
 * `node --import tsx` cannot import a `.ts` task module (nodejs/node#53006, #52706). The worker entry calls this once at
 * start so "workers inherit execArgv" holds for loaders too.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The `--import` specifiers of an `execArgv`, in order.
 * @param execArgv - the process's `execArgv`.
 * @returns the specifiers (`--import x` and `--import=x` forms).
 */
export function importSpecifiers(execArgv: readonly string[]): string[] {
  const specs: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (arg === '--import' && i + 1 < execArgv.length) specs.push(execArgv[++i]!);
    else if (arg.startsWith('--import=')) specs.push(arg.slice('--import='.length));
  }
  return specs;
}

/**
 * Imports (or, for tsx, registers) each `--import` preload of this process inside the current worker.
 *
 * tsx's `--import` entry only registers its hooks on the main thread, so for `tsx` / `tsx/esm` its documented
 * `register()` API is called instead. Specifiers resolve from the working directory, as Node resolves `--import`.
 * Does nothing on Node 22.2+, where workers share the main thread's hooks. A preload that fails is skipped.
 * @param execArgv - the process's `execArgv`.
 */
export async function applyInheritedImports(execArgv: readonly string[]): Promise<void> {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 2)) return; // one hooks thread shared with workers (nodejs/node#52706)
  const specs = importSpecifiers(execArgv);
  if (specs.length === 0) return;
  const require = createRequire(join(process.cwd(), 'noop.js'));
  for (const spec of specs) {
    try {
      if (spec === 'tsx' || spec === 'tsx/esm') {
        const tsxApi = 'tsx/esm/api'; // a variable: tsx is the user's dependency, not ours
        const api = (await import(tsxApi)) as { register(): unknown };
        api.register();
      } else if (spec.startsWith('.') || spec.startsWith('/')) {
        await import(pathToFileURL(join(process.cwd(), spec)).href);
      } else {
        await import(spec.includes(':') ? spec : pathToFileURL(require.resolve(spec)).href);
      }
    } catch {
      // Not fatal: a task module that needed it then fails to load with TaskNotFoundError, which names the cause.
    }
  }
}
