/**
 * Runs a bench file again in a child process and reads the one JSON value it prints last.
 *
 * Some rows need a process of their own: a heap free of the suite's other groups (`--expose-gc` rows), or a different
 * allocator setting (`GLIBC_TUNABLES`). The child is the same bench file started with a flag that makes it measure
 * only that row; it prints progress lines first and its result as the last line of stdout. This is the one place
 * that protocol is written down, so every suite reads a child the same way.
 *
 * @module
 */
import { execFile } from 'node:child_process';

/** How to start the child. */
export interface ChildBenchOptions {
  /** Node's own flags, before the file (e.g. `--expose-gc`). */
  readonly nodeArgs?: readonly string[];
  /** The bench file's flags, after the file (which row to measure, `--quick`). */
  readonly args?: readonly string[];
  /** Variables added to this process's environment for the child. */
  readonly env?: Readonly<Record<string, string>>;
  /** Print the child's stdout lines before its last one (its progress) on this process's stdout. Default: false. */
  readonly relayProgress?: boolean;
}

/**
 * Starts `file` in a child Node process and parses the last line of its stdout as JSON.
 *
 * The child's stderr is relayed to this process's stdout (a bench prints everything there); a child that exits
 * non-zero rejects with the `execFile` error, and a last line that is not JSON rejects with a `SyntaxError` naming
 * the file.
 *
 * @param file - the bench file (its built `.js` path).
 * @param options - the child's flags, environment and whether to relay its progress lines.
 * @returns the value the child printed last.
 */
export function runChildBench<T>(file: string, options: ChildBenchOptions = {}): Promise<T> {
  const argv = [...(options.nodeArgs ?? []), file, ...(options.args ?? [])];
  const env = options.env === undefined ? process.env : { ...process.env, ...options.env };
  return new Promise<T>((resolve, reject) => {
    execFile(process.execPath, argv, { maxBuffer: 1 << 24, env }, (error, stdout, stderr) => {
      if (stderr !== '') process.stdout.write(stderr);
      if (error !== null) {
        reject(error);
        return;
      }
      const lines = stdout.trimEnd().split('\n');
      const last = lines.pop() ?? '';
      if (options.relayProgress === true && lines.length > 0) console.log(lines.join('\n'));
      try {
        resolve(JSON.parse(last) as T);
      } catch (cause) {
        reject(new SyntaxError(`${file} ${argv.slice(argv.indexOf(file) + 1).join(' ')}: its last line is not JSON: ${JSON.stringify(last.slice(0, 200))}`, { cause }));
      }
    });
  });
}
