/**
 * `unknownOptionMessage`: what every options object greenreactor takes says about a key it does not know (a task's
 * options, `new Reactor()`, `new Hub()`, `stop()`), in one form, with the option the user probably meant.
 *
 * Why refuse unknown keys at all: a misspelt option (`polcy`, `timeoutMS`, `grace`) would otherwise do nothing,
 * without a word, and the program would run on a default the user thought they had changed; `Policy.load` refuses an
 * unknown key of a config for the same reason.
 *
 * @module
 */

/**
 * The message of the `TypeError` for an option key that is not one of `known`.
 *
 * @param key - the unknown key.
 * @param known - the options there are.
 * @param of - what takes the options, as the message names it (`` task `probe` ``, `new Reactor()`).
 * @param listed - how the list of options begins when no option is near (`a task has`, `its options are`).
 * @returns "Unknown option `key` of <of>: did you mean `x`?" when a known option is within two edits of `key` (or
 *   differs only in case), else "Unknown option `key` of <of>: <listed> a, b, c".
 */
export function unknownOptionMessage(key: string, known: readonly string[], of: string, listed: string): string {
  const meant = known.find((option) => option.toLowerCase() === key.toLowerCase() || editDistance(option, key) <= 2);
  const hint = meant === undefined ? `${listed} ${known.join(', ')}` : `did you mean \`${meant}\`?`;
  return `Unknown option \`${key}\` of ${of}: ${hint}`;
}

/**
 * The first own key of `options` that is not one of `known`, if any.
 *
 * @param options - an options object.
 * @param known - the options there are.
 * @returns the key, or `undefined`.
 * @throws whatever listing the keys throws (a revoked Proxy): the caller names the options it was reading.
 */
export function firstUnknownKey(options: object, known: readonly string[]): string | undefined {
  return Object.keys(options).find((key) => !known.includes(key));
}

/** Levenshtein distance between two short strings (an option name and a key). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((previous[j] as number) + 1, (row[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length] as number;
}
