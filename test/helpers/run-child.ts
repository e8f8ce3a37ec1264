/**
 * `runChild`: run a program as a child process and wait for it, for the tests that check what a consumer or a user
 * at a shell sees (the docs examples, the packed package, the SPEC surface from a consumer project).
 *
 * One definition of "how a child ended": its exit code, or the name of the signal that ended it (a child killed for
 * running past `timeoutMs` ends by `SIGTERM`), so a hung child fails its test with its own output rather than a
 * bare Jest timeout. It never rejects: the test asserts on the code and reads the output.
 */
import { execFile } from 'node:child_process';

/** How a child process ended, and what it printed. */
export interface ChildRun {
  /** The exit code; the signal's name (`'SIGTERM'`…) when a signal ended it; -1 when it could not start. */
  code: number | string;
  stdout: string;
  stderr: string;
}

/** Where and how long the child runs. */
export interface RunChildOptions {
  /** Its working directory. @defaultValue this process's */
  cwd?: string;
  /** Its environment. @defaultValue this process's */
  env?: NodeJS.ProcessEnv;
  /** Ends it (`SIGTERM`) past this many ms: a bound against a hang, not a synchronisation. @defaultValue none */
  timeoutMs?: number;
  /** Most bytes of stdout or stderr kept before it is ended. @defaultValue 1 MiB (Node's) */
  maxBuffer?: number;
}

/**
 * Runs `file` with `args` and resolves once it ended.
 * @param file - the program (`process.execPath` for node, `npx`…).
 * @param args - its arguments.
 * @param options - working directory, environment, time bound, output bound.
 * @returns how it ended and what it printed; never rejects.
 */
export function runChild(file: string, args: readonly string[], options: RunChildOptions = {}): Promise<ChildRun> {
  const { cwd, env, timeoutMs, maxBuffer } = options;
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { encoding: 'utf8', ...(cwd === undefined ? {} : { cwd }), ...(env === undefined ? {} : { env }), ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }), ...(maxBuffer === undefined ? {} : { maxBuffer }) },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : (error.signal ?? (typeof error.code === 'number' ? error.code : -1));
        resolve({ code, stdout, stderr });
      },
    );
  });
}
