/**
 * Finds the runnable examples in the Markdown docs: fenced blocks opened with ```` ```ts runnable ````.
 *
 * A block may state what it prints with comment lines `// prints: <text>`; the examples test checks that the
 * output contains each such text.
 *
 * @module
 */

/** One runnable example. */
export interface RunnableBlock {
  /** The Markdown file, relative to the repository. */
  file: string;
  /** The line of the opening fence (1-based). */
  line: number;
  /** The code between the fences. */
  code: string;
  /** Texts the example says it prints. */
  prints: string[];
}

const open = /^```ts\s+runnable\s*$/;

/**
 * Extracts the runnable blocks of one Markdown text.
 * @param file - the file's name, carried into each block for test titles.
 * @param markdown - the file's text.
 * @returns the blocks, in file order.
 * @throws Error when a runnable block is not closed.
 */
export function runnableBlocks(file: string, markdown: string): RunnableBlock[] {
  const lines = markdown.split('\n');
  const blocks: RunnableBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!open.test(lines[i] ?? '')) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] ?? '').startsWith('```'); i++) body.push(lines[i] ?? '');
    if (i >= lines.length) throw new Error(`${file}:${start + 1}: runnable block is not closed`);
    const prints = body.flatMap((l) => {
      const m = /\/\/ prints: (.+)$/.exec(l);
      return m?.[1] === undefined ? [] : [m[1].trim()];
    });
    blocks.push({ file, line: start + 1, code: body.join('\n') + '\n', prints });
  }
  return blocks;
}
