/**
 * Where the `greenreactor` command writes, injectable so tests can run commands in-process.
 *
 * @module
 */

/** Line writers for a command's normal output and its diagnostics. */
export interface CliIo {
  /** Writes one line of normal output (stdout). */
  out(line: string): void;
  /** Writes one line of diagnostics (stderr). */
  err(line: string): void;
}

/** Streams of the process whose reader went away (EPIPE): nothing more is written to them. */
const closed = new WeakSet<NodeJS.WriteStream>();

/** C0 and C1 control characters but newline and tab: what a terminal would act on (ESC, CR, BEL, CSI…). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const controlCharacters = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * `line` with its control characters written as `\xNN`. The command prints what files and arguments hold (a policy
 * file's rule names, keys, the text JSON could not parse): printed raw, a hostile file's escape sequences would act on
 * the terminal of whoever checks it (retitle it, clear it, hide lines behind a carriage return).
 */
function escapeControls(line: string): string {
  return line.replace(controlCharacters, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function writeLine(stream: NodeJS.WriteStream, line: string): void {
  if (!closed.has(stream)) stream.write(`${escapeControls(line)}\n`);
}

/**
 * The process's stdout and stderr. A write to a pipe whose reader closed (`greenreactor soak | head -1`) fails
 * later, as an 'error' event on the stream: {@link guardProcessStreams} (called by the bin) turns that into silence on
 * that stream, so the command runs on and ends with its own exit code instead of a stack dump.
 */
export const processIo: CliIo = {
  out: (line) => writeLine(process.stdout, line),
  err: (line) => writeLine(process.stderr, line),
};

/**
 * Listens for 'error' on the process's stdout and stderr, which Node otherwise throws (an 'error' event with no
 * listener ends the process): EPIPE (the reader went away) stops writing to that stream; another error is said once
 * on the other stream, if it is still open.
 */
export function guardProcessStreams(): void {
  for (const [stream, other] of [
    [process.stdout, process.stderr],
    [process.stderr, process.stdout],
  ] as const) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (closed.has(stream)) return;
      closed.add(stream);
      if (error.code !== 'EPIPE') writeLine(other, `greenreactor: cannot write to ${stream === process.stdout ? 'stdout' : 'stderr'}: ${error.message}`);
    });
  }
}

/** Exit codes of every command: success, a finding (an invalid policy, a failed run), bad usage or unavailable. */
export const exitCodes = Object.freeze({ ok: 0, failed: 1, usage: 2 });

/**
 * Runs a command body that may throw a `node:util.parseArgs` error, mapping it to exit code 2 with usage.
 * @param io - where to write.
 * @param usage - the command's usage text, printed after the error.
 * @param body - the command.
 * @returns the command's exit code, or 2 on bad arguments.
 */
export async function withUsage(io: CliIo, usage: string, body: () => number | Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (error instanceof TypeError && typeof code === 'string' && (code.startsWith('ERR_PARSE_ARGS') || code === 'ERR_USAGE')) {
      io.err(`greenreactor: ${error.message}`);
      io.err('');
      io.err(usage);
      return exitCodes.usage;
    }
    throw error;
  }
}

/**
 * Makes the error {@link withUsage} reports as bad usage (exit code 2).
 * @param message - what is wrong with the command line.
 */
export function usageError(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_USAGE' });
}
