/**
 * The task-name glob of a policy rule (`match.task`), compiled to a matcher that runs in linear time.
 *
 * Why not picomatch: it compiles a glob to a backtracking RegExp, and a policy file is input. The glob
 * `*a*a*a*a*a*a*a*a*a*ab` took 21 s against a 40-character name, on the event loop, in every dispatch and
 * `explain()` that consulted the rule. Here a glob becomes a small nondeterministic automaton (Thompson's
 * construction) that is run over the name with every live state at once: a match costs at most
 * O(glob length × name length), whatever the glob, and compiling costs O(glob length).
 *
 * The syntax is the part of picomatch's that task names need, with picomatch's answers (SPEC §7,
 * docs/policy-reference.md), and nothing is guessed: whatever else picomatch would have read as syntax is
 * refused when the policy loads, with the reason, so no glob silently changes meaning.
 * - `*` matches any run of characters but `/`; `?` exactly one character but `/`.
 * - `**` as a whole `/`-separated segment (alone, first, last, or between two `/`) matches any run of
 *   segments, none included (`img/**` matches `img` and `img/a/b`); elsewhere (`a**`, `***`) it is `*`.
 * - `[abc]`, `[a-z]`, `[^a-z]`: one character in (not in, and not `/`) the class; `]` first in the class and
 *   `-` first or last are literal; `\` escapes inside the class too.
 * - `{a,b,c}`: any of the comma-separated alternatives, each itself a glob (nested braces work); an
 *   alternative may be empty (`resize{,2}`).
 * - `!` first: the names the rest of the glob does not match.
 * - `\x` is the character `x`; every other character is itself.
 * Refused: `[!…]` (picomatch read it as a class holding `!`, glob convention as a complement), groups and
 * extglobs (`@(a|b)`, `+(…)`, `*(…)`, `?(…)`, `!(…)`, any `(` or `)`: `\(` is the character), brace ranges and
 * one-item braces (`{1..3}`, `{a}`: write the alternatives), POSIX classes (`[[:alpha:]]`), a leading `!!` or
 * `./`, an unclosed `[` or `{`, a reversed range (`[z-a]`), a trailing `\`, and an empty glob.
 * Where picomatch was inconsistent the rules above hold: characters are code points (`?` matches one emoji;
 * picomatch counted UTF-16 units), `*` matches the names `.` and `..` and not a trailing `/`, a `.` after
 * `***` is a `.` (picomatch: any character), and for names holding `/`, `**` next to braces or after a `*`
 * segment follows the segment rule (picomatch had its own, different, answers there).
 *
 * @module
 */

/** A glob parsed into its pieces. */
type Piece =
  | { readonly type: 'char'; readonly test: (c: string) => boolean }
  | { readonly type: 'star'; readonly crossesSlash: boolean }
  | { readonly type: 'alt'; readonly options: readonly (readonly Piece[])[] };

/** A state of the automaton: consumes one character that passes `test`, or moves on to `next` for free. */
type State =
  | { readonly type: 'consume'; readonly test: (c: string) => boolean; next: number }
  | { readonly type: 'split'; readonly next: number[] }
  | { readonly type: 'accept' };

/** A task-name matcher. */
export type TaskGlobMatcher = (name: string) => boolean;

/** What {@link compileTaskGlob} gives: the matcher, or why the glob is refused. */
export type CompiledTaskGlob = { readonly match: TaskGlobMatcher } | { readonly problem: string };

const notSlash = (c: string): boolean => c !== '/';
const anyChar = (): boolean => true;
const cacheLimit = 4096;
const cache = new Map<string, CompiledTaskGlob>();

/**
 * Compiles a task-name glob, or says why it is refused.
 *
 * Results are cached by glob (a policy is validated and then compiled, and a reload usually keeps most
 * globs), up to a few thousand globs, so a long-running process that reloads many policies does not grow.
 * @param glob - the glob, as written in `match.task`.
 * @returns `{ match }`, or `{ problem }` in words (without the glob).
 */
export function compileTaskGlob(glob: string): CompiledTaskGlob {
  let compiled = cache.get(glob);
  if (compiled === undefined) {
    compiled = compile(glob);
    if (cache.size >= cacheLimit) cache.clear();
    cache.set(glob, compiled);
  }
  return compiled;
}

function compile(glob: string): CompiledTaskGlob {
  if (glob === '') return { problem: 'an empty glob matches no task name' };
  if (glob.startsWith('!!')) return { problem: 'it starts with `!!`: negate once, with one `!`' };
  if (glob.startsWith('./')) return { problem: 'it starts with `./`, which picomatch dropped: a task name is not a path, leave it out' };
  const negated = glob.startsWith('!') && !glob.startsWith('!(');
  const chars = Array.from(negated ? glob.slice(1) : glob);
  if (negated && chars.length === 0) return { problem: 'a lone `!` negates nothing' };
  let pieces: Piece[];
  try {
    pieces = new Parser(chars).parseAll();
  } catch (error) {
    if (error instanceof GlobSyntax) return { problem: error.message };
    throw error;
  }
  const automaton = new Automaton(pieces);
  return { match: negated ? (name) => !automaton.matches(name) : (name) => automaton.matches(name) };
}

/** A glob the parser refuses (internal: it becomes a config issue). */
class GlobSyntax extends Error {}

class Parser {
  readonly #chars: readonly string[];
  #at = 0;
  /** The piece of the last unescaped `/`, which a globstar right after it folds in. */
  #lastSlash: Piece | undefined;

  constructor(chars: readonly string[]) {
    this.#chars = chars;
  }

  parseAll(): Piece[] {
    const pieces = this.#sequence(false);
    if (this.#at < this.#chars.length) throw new GlobSyntax(`\`${this.#chars[this.#at]}\` at position ${this.#at + 1} closes nothing`);
    return pieces;
  }

  /** Parses pieces up to the end, or, inside braces, up to the `,` or `}` that ends this alternative. */
  #sequence(inBraces: boolean): Piece[] {
    const pieces: Piece[] = [];
    const chars = this.#chars;
    while (this.#at < chars.length) {
      const c = chars[this.#at] as string;
      if (inBraces && (c === ',' || c === '}')) break;
      if (c === '*') this.#star(pieces);
      else if (c === '?') {
        if (chars[this.#at + 1] === '(') this.#refuseGroup();
        pieces.push({ type: 'char', test: notSlash });
        this.#at += 1;
      } else if (c === '[') pieces.push(this.#class());
      else if (c === '{') pieces.push(this.#braces());
      else if (c === '(' || c === ')') this.#refuseGroup();
      else if ((c === '@' || c === '+' || c === '!') && chars[this.#at + 1] === '(') this.#refuseGroup();
      else if (c === '\\') {
        const escaped = chars[this.#at + 1];
        if (escaped === undefined) throw new GlobSyntax('it ends with a lone `\\`, which escapes nothing (write `\\\\` for a backslash)');
        pieces.push(literal(escaped));
        this.#at += 2;
      } else {
        const piece = literal(c);
        if (c === '/') this.#lastSlash = piece;
        pieces.push(piece);
        this.#at += 1;
      }
    }
    return pieces;
  }

  #refuseGroup(): never {
    throw new GlobSyntax(
      `groups and extglobs (\`(…)\`, \`@(a|b)\`, \`!(…)\`, \`+(…)\`, \`*(…)\`, \`?(…)\`) are not supported, at position ${this.#at + 1}: use \`{a,b}\` for alternatives, \`\\(\` for the character`,
    );
  }

  #star(pieces: Piece[]): void {
    const chars = this.#chars;
    const start = this.#at;
    while (chars[this.#at] === '*') this.#at += 1;
    if (this.#at - start === 1 && chars[this.#at] === '(') {
      this.#at = start;
      this.#refuseGroup();
    }
    const segmentStart = start === 0 || chars[start - 1] === '/';
    const segmentEnd = this.#at === chars.length || chars[this.#at] === '/';
    // Exactly two stars, as picomatch: `***` is a `*`.
    if (this.#at - start !== 2 || !segmentStart || !segmentEnd) {
      pieces.push({ type: 'star', crossesSlash: false });
      return;
    }
    // A globstar segment: `**` alone, `**/…` (any leading segments, none included), `…/**` (the `/` and
    // what follows, or nothing), `…/**/…` (one `/`, or `/`, segments, `/`). A `/` a globstar before it
    // already took in (`**/**`) counts as the start of the glob.
    const last = pieces[pieces.length - 1];
    const slashBefore = start > 0 && last !== undefined && last === this.#lastSlash;
    const slashAfter = this.#at < chars.length;
    const anything: Piece = { type: 'star', crossesSlash: true };
    if (!slashBefore && !slashAfter) {
      pieces.push(anything);
    } else if (!slashBefore) {
      this.#at += 1; // the `/` after `**`
      pieces.push({ type: 'alt', options: [[], [anything, literal('/')]] });
    } else {
      pieces.pop(); // the `/` before `**`, folded into the alternatives
      if (slashAfter) {
        this.#at += 1;
        pieces.push({ type: 'alt', options: [[literal('/')], [literal('/'), anything, literal('/')]] });
      } else {
        pieces.push({ type: 'alt', options: [[], [literal('/'), anything]] });
      }
    }
  }

  #class(): Piece {
    const chars = this.#chars;
    const open = this.#at;
    this.#at += 1;
    // picomatch read `[!a]` as the set of `!` and `a`, glob convention as its complement: refused, not guessed.
    if (chars[this.#at] === '!') throw new GlobSyntax(`\`[!\` at position ${open + 1} is ambiguous: write \`[^…]\` for the characters not listed, \`[\\!…]\` for a \`!\``);
    const negated = chars[this.#at] === '^';
    if (negated) this.#at += 1;
    const ranges: Array<readonly [number, number]> = [];
    let first = true;
    for (;;) {
      const c = chars[this.#at];
      if (c === undefined) throw new GlobSyntax(`the \`[\` at position ${open + 1} is never closed (write \`\\[\` for the character)`);
      if (c === ']' && !first) break;
      if (c === '[' && chars[this.#at + 1] === ':') throw new GlobSyntax(`POSIX classes (\`[[:alpha:]]\`) are not supported, at position ${this.#at + 1}: write the range, \`[a-zA-Z]\``);
      first = false;
      const low = this.#classChar();
      if (chars[this.#at] === '-' && chars[this.#at + 1] !== undefined && chars[this.#at + 1] !== ']') {
        this.#at += 1;
        const high = this.#classChar();
        if (high < low) throw new GlobSyntax(`the range \`${String.fromCodePoint(low)}-${String.fromCodePoint(high)}\` in the class at position ${open + 1} is reversed`);
        ranges.push([low, high]);
      } else {
        ranges.push([low, low]);
      }
    }
    this.#at += 1;
    const inClass = (c: string): boolean => {
      const code = c.codePointAt(0) as number;
      return ranges.some(([low, high]) => code >= low && code <= high);
    };
    return { type: 'char', test: negated ? (c) => c !== '/' && !inClass(c) : inClass };
  }

  /** Reads one character of a class (escaped or not) and returns its code point. */
  #classChar(): number {
    const chars = this.#chars;
    let c = chars[this.#at] as string;
    if (c === '\\') {
      const escaped = chars[this.#at + 1];
      if (escaped === undefined) throw new GlobSyntax('it ends with a lone `\\`, which escapes nothing (write `\\\\` for a backslash)');
      c = escaped;
      this.#at += 1;
    }
    this.#at += 1;
    return c.codePointAt(0) as number;
  }

  #braces(): Piece {
    const open = this.#at;
    this.#at += 1;
    const options: Piece[][] = [this.#sequence(true)];
    while (this.#chars[this.#at] === ',') {
      this.#at += 1;
      options.push(this.#sequence(true));
    }
    if (this.#chars[this.#at] !== '}') throw new GlobSyntax(`the \`{\` at position ${open + 1} is never closed (write \`\\{\` for the character)`);
    this.#at += 1;
    if (options.length < 2) {
      throw new GlobSyntax(
        `the braces at position ${open + 1} hold one item: write the alternatives, \`{a,b}\` (ranges such as \`{1..3}\` are not supported; \`\\{\` is the character)`,
      );
    }
    return { type: 'alt', options };
  }
}

function literal(c: string): Piece {
  return { type: 'char', test: (d) => d === c };
}

/**
 * A Thompson automaton over code points, run with every live state at once (no backtracking).
 * Invariant: a `split` state's targets never lead back to it without consuming a character (a star's
 * loop goes through its `consume` state), so the closure walk below always ends.
 */
class Automaton {
  readonly #states: State[] = [];
  readonly #start: number;
  // Scratch marks: a state is in the current set when its mark equals the current generation.
  readonly #marks: Int32Array;
  #generation = 0;
  readonly #edges: number;

  constructor(pieces: readonly Piece[]) {
    const accept = this.#add({ type: 'accept' });
    this.#start = this.#sequence(pieces, accept);
    this.#marks = new Int32Array(this.#states.length);
    // The closure's stack holds at most one entry per edge between states (a state two splits lead to
    // may be pushed by both before it is marked), plus the states it starts from.
    this.#edges = this.#states.length + this.#states.reduce((sum, state) => sum + (state.type === 'split' ? state.next.length : 0), 0);
  }

  #add(state: State): number {
    this.#states.push(state);
    return this.#states.length - 1;
  }

  /** Builds `pieces` followed by `next`, back to front; returns the first state. */
  #sequence(pieces: readonly Piece[], next: number): number {
    let at = next;
    for (let i = pieces.length - 1; i >= 0; i -= 1) at = this.#piece(pieces[i] as Piece, at);
    return at;
  }

  #piece(piece: Piece, next: number): number {
    switch (piece.type) {
      case 'char':
        return this.#add({ type: 'consume', test: piece.test, next });
      case 'star': {
        const loop: number[] = [];
        const split = this.#add({ type: 'split', next: loop });
        const consume = this.#add({ type: 'consume', test: piece.crossesSlash ? anyChar : notSlash, next: split });
        loop.push(consume, next);
        return split;
      }
      case 'alt':
        return this.#add({ type: 'split', next: piece.options.map((option) => this.#sequence(option, next)) });
    }
  }

  matches(name: string): boolean {
    const states = this.#states;
    const size = states.length;
    const current = new Int32Array(size);
    const next = new Int32Array(size);
    const stack = new Int32Array(this.#edges);
    let count = this.#closure([this.#start], 1, current, stack);
    for (const c of name) {
      let moved = 0;
      for (let i = 0; i < count; i += 1) {
        const state = states[current[i] as number] as State;
        if (state.type === 'consume' && state.test(c)) next[moved++] = state.next;
      }
      if (moved === 0) return false;
      count = this.#closure(next, moved, current, stack);
    }
    for (let i = 0; i < count; i += 1) if ((states[current[i] as number] as State).type === 'accept') return true;
    return false;
  }

  /**
   * Writes into `out` the states reachable from the first `count` of `from` without consuming, each once
   * (the consuming ones and accept), and returns how many. `from` and `out` may not be the same array.
   */
  #closure(from: ArrayLike<number>, count: number, out: Int32Array, stack: Int32Array): number {
    const marks = this.#marks;
    if (this.#generation === 0x7fffffff) {
      marks.fill(0);
      this.#generation = 0;
    }
    this.#generation += 1;
    const generation = this.#generation;
    let depth = 0;
    for (let i = count - 1; i >= 0; i -= 1) stack[depth++] = from[i] as number;
    let written = 0;
    while (depth > 0) {
      const index = stack[--depth] as number;
      if (marks[index] === generation) continue;
      marks[index] = generation;
      const state = this.#states[index] as State;
      if (state.type === 'split') {
        for (let i = state.next.length - 1; i >= 0; i -= 1) {
          const target = state.next[i] as number;
          if (marks[target] !== generation) stack[depth++] = target;
        }
      } else {
        out[written++] = index;
      }
    }
    return written;
  }
}
