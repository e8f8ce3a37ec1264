/**
 * Reads and validates a policy config from an object or a JSON file.
 *
 * Validation never stops at the first problem: `PolicyConfigError.issues` lists every one, each with
 * a JSON Pointer, so a person can fix a file in one go. A file that cannot be read or parsed is a
 * single issue at path `""` (there is nothing to point into).
 *
 * @module
 */
import { close, closeSync, constants, fstat, fstatSync, open, openSync, readFile, readFileSync, type Stats } from 'node:fs';
import { PolicyConfigError, type PolicyConfigIssue } from '../errors.js';
import { thrownMessage } from '../task/thrown-message.js';
import { toConfigIssues } from './config-issues.js';
import { policyConfigSchema, type PolicyConfig } from './policy-schema.js';

/** A validated config and where it came from. */
export interface LoadedPolicyConfig {
  /** The validated config, deeply frozen. */
  readonly config: Readonly<PolicyConfig>;
  /** The file it was read from; `undefined` for an object. */
  readonly source: string | undefined;
  /** The file's text, when read from a file (lets a watcher skip unchanged saves). */
  readonly text: string | undefined;
}

/**
 * Validates a config object.
 * @param input - anything; normally parsed JSON.
 * @param source - the file it came from, for the error message.
 * @returns the validated config, deeply frozen.
 * @throws PolicyConfigError listing every problem.
 */
export function validatePolicyConfig(input: unknown, source?: string): Readonly<PolicyConfig> {
  let issues: ReturnType<typeof toConfigIssues>;
  try {
    const result = policyConfigSchema.safeParse(input);
    const dropped = droppedPoolNames(input);
    if (result.success && dropped.length === 0) return deepFreeze(result.data);
    issues = result.success ? dropped : [...dropped, ...toConfigIssues(result.error.issues, input, policyConfigSchema)];
  } catch (error) {
    // Reading the config threw (a getter, a revoked Proxy): still the one named error, its one issue at the root.
    throw new PolicyConfigError([{ path: '', message: `The policy config could not be read: ${thrownMessage(error)}` }], source, {
      cause: error,
    });
  }
  throw new PolicyConfigError(issues, source);
}

/**
 * The pool named `__proto__`, which validation would drop without a word: zod leaves it out of a parsed record (set
 * on a plain object, the key would replace its prototype), so the config would simply lack that pool. Named as an
 * issue instead (a JSON file or a computed key holds it as an ordinary own key). Other names that are `Object`
 * members (`constructor`, `toString`) are ordinary pool names.
 */
function droppedPoolNames(input: unknown): PolicyConfigIssue[] {
  if (typeof input !== 'object' || input === null) return [];
  const pools = (input as { pools?: unknown }).pools;
  if (typeof pools !== 'object' || pools === null || Array.isArray(pools) || !Object.hasOwn(pools, '__proto__')) return [];
  return [{ path: '/pools/__proto__', message: 'Expected a pool name other than `__proto__` (an object cannot hold it as an ordinary key); rename the pool' }];
}

/**
 * Reads a config: validates an object, or reads, parses and validates a JSON file.
 * @param configOrFile - a config object or the path of a JSON file.
 * @returns the validated config, its source and text.
 * @throws PolicyConfigError on any problem (unreadable or unparsable file: one issue at path `""`).
 */
export function readPolicyConfig(configOrFile: PolicyConfig | string): LoadedPolicyConfig {
  if (typeof configOrFile !== 'string') return { config: validatePolicyConfig(configOrFile), source: undefined, text: undefined };
  const text = readPolicyText(configOrFile);
  return { config: parsePolicyText(text, configOrFile), source: configOrFile, text };
}

/**
 * How a policy file is opened: without blocking, so that a FIFO with no writer opens at once (and is then refused as
 * not a regular file) instead of blocking the thread until a writer comes, which may be never.
 */
const openFlags = constants.O_RDONLY | constants.O_NONBLOCK;

/**
 * The largest policy file read: 16 MiB. A config of 100,000 rules is about 6 MB; past this a file is not a policy
 * someone wrote, and reading it would cost its size several times over in memory (a 700 MB file took 1.1 GB before
 * failing with `ERR_STRING_TOO_LONG`), so it is refused by its size before a byte of it is read.
 */
export const maxPolicyFileBytes = 16 * 1024 * 1024;

/**
 * The error for a policy file that is not a regular file or is larger than {@link maxPolicyFileBytes}, or `undefined`
 * when it may be read.
 *
 * Why only regular files: reading a FIFO nobody writes to blocks for ever (`policy check`, `new Reactor({ policy })`
 * and `GREENREACTOR_POLICY` hung the process; a watch held a libuv thread and the process open), and a device such as
 * `/dev/zero` never ends. The descriptor is checked, not the path, so nothing can swap the file between the two; and
 * Node reads a regular file of a known size only up to that size, so the size checked bounds what is read.
 * @param stats - the opened file's stats.
 * @returns the error (its message says what the file is), or `undefined`.
 */
export function notRegularFile(stats: Stats): Error | undefined {
  if (stats.isFile()) {
    if (stats.size <= maxPolicyFileBytes) return undefined;
    const mib = (bytes: number): string => `${Math.ceil(bytes / 1024 ** 2)} MiB`;
    return new Error(`too large: ${mib(stats.size)}, a policy file may be at most ${mib(maxPolicyFileBytes)}`);
  }
  const kind = stats.isFIFO()
    ? 'a FIFO'
    : stats.isDirectory()
      ? 'a directory'
      : stats.isSocket()
        ? 'a socket'
        : stats.isCharacterDevice() || stats.isBlockDevice()
          ? 'a device'
          : 'not a file';
  return new Error(`not a regular file: ${kind}`);
}

/**
 * Reads a policy file's text (a regular file only: see {@link notRegularFile}).
 * @throws PolicyConfigError with one issue at path `""` when the file cannot be read.
 */
export function readPolicyText(file: string): string {
  try {
    const fd = openSync(file, openFlags);
    try {
      const refused = notRegularFile(fstatSync(fd));
      if (refused !== undefined) throw refused;
      return readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw unreadable(file, error);
  }
}

/**
 * Reads a policy file's text without blocking the thread (a regular file only: see {@link notRegularFile}), for a
 * watch; `done` gets the text, or the error (its message says why, e.g. `not a regular file: a FIFO`) and `''`.
 * @param file - the file.
 * @param done - called once.
 */
export function readPolicyTextLater(file: string, done: (error: Error | null, text: string) => void): void {
  open(file, openFlags, (openError, fd) => {
    if (openError !== null) {
      done(openError, '');
      return;
    }
    const finish = (error: Error | null, text: string): void => close(fd, () => done(error, text));
    fstat(fd, (statError, stats) => {
      const refused = statError ?? notRegularFile(stats);
      if (refused !== undefined) finish(refused, '');
      else readFile(fd, 'utf8', (readError, text) => finish(readError, readError === null ? text : ''));
    });
  });
}

/** A policy file's read failed: one issue at path `""`, the reason an errno code or what {@link notRegularFile} says. */
function unreadable(file: string, error: unknown): PolicyConfigError {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new PolicyConfigError([{ path: '', message: `Cannot read policy file ${file} (${reason})` }], file, { cause: error });
}

/**
 * Parses and validates a policy file's text.
 * @param text - the file's contents.
 * @param file - its path, for messages.
 * @throws PolicyConfigError (one issue at path `""` for empty or malformed JSON).
 */
export function parsePolicyText(text: string, file: string): Readonly<PolicyConfig> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') {
    throw new PolicyConfigError([{ path: '', message: `Policy file ${file} is empty; expected a JSON object` }], file);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new PolicyConfigError(
      [{ path: '', message: `Cannot parse policy file ${file} as JSON: ${(error as Error).message}` }],
      file,
      { cause: error },
    );
  }
  return validatePolicyConfig(parsed, file);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
