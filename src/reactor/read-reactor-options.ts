/**
 * `readReactorOptions`: takes `new Reactor(options)`'s options apart once, before the constructor checks them.
 *
 * Why: the constructor used to read each option where it checked it and again where it used it. An options object
 * with getters (or a Proxy) could then pass a check with one value and be used with another, and a getter that threw
 * (or a revoked Proxy) ended the constructor with whatever it threw, not an error naming the option. Reading each
 * option exactly once here means the value checked is the value used, and a read that throws is reported as a
 * problem with that option: `PolicyConfigError` for `policy` (like a policy file that cannot be read), `TypeError`
 * for the others (like any other bad value of theirs).
 *
 * @module
 */
import { PolicyConfigError } from '../errors.js';
import { safeString } from '../safe-string.js';
import { thrownMessage } from '../task/thrown-message.js';
import { firstUnknownKey, unknownOptionMessage } from '../unknown-option.js';
import type { ReactorOptions } from './reactor-options.js';

/** The options the constructor knows, in the order it reads them. */
const optionNames = ['clock', 'onError', 'now', 'policy', 'remote'] as const satisfies ReadonlyArray<keyof ReactorOptions>;

/**
 * Reads every known option of `options` once, after refusing any key that is not an option: a misspelt `policy`
 * (`polcy`) would otherwise run the reactor on the default policy without a word, while a misspelt policy key or
 * TaskOptions key is refused.
 * @param options - what was passed to `new Reactor(...)`: `undefined` means no options.
 * @returns a plain object holding each option's value as it was read (`undefined` where it was not given).
 * @throws TypeError when `options` is neither `undefined` nor an object, has an own key that is not an option
 * (naming it), or reading `clock`, `onError`, `now` or
 * `remote` throws (the thrown value is the `cause`).
 * @throws PolicyConfigError (one issue at path `""`) when reading `policy` throws.
 */
export function readReactorOptions(options: unknown): ReactorOptions {
  if (options === undefined) return {};
  if (options === null || (typeof options !== 'object' && typeof options !== 'function')) {
    throw new TypeError(`Expected the Reactor options to be an object, got \`${safeString(options)}\` (${options === null ? 'null' : typeof options})`);
  }
  const read: Record<string, unknown> = {};
  for (const name of optionNames) {
    try {
      read[name] = (options as Record<string, unknown>)[name];
    } catch (error) {
      const message = `Reading the Reactor option \`${name}\` threw: ${thrownMessage(error)}`;
      if (name === 'policy') throw new PolicyConfigError([{ path: '', message }], undefined, { cause: error });
      throw new TypeError(message, { cause: error });
    }
  }
  // After the reads: a read that throws (a revoked Proxy) is reported as that option's problem, as before.
  let unknown: string | undefined;
  try {
    unknown = firstUnknownKey(options, optionNames);
  } catch (error) {
    throw new TypeError(`Listing the Reactor options threw: ${thrownMessage(error)}`, { cause: error });
  }
  if (unknown !== undefined) throw new TypeError(unknownOptionMessage(unknown, optionNames, 'new Reactor()', 'its options are'));
  return read;
}
