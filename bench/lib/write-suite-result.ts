/**
 * Writes a suite's result file and prints its tables.
 *
 * Every suite ends the same way: `bench/results/<suite>.json` on disk (machine, Node, date, raw
 * samples, medians, ratios) and one ratio table per workload on stdout.
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultResultsDir } from './bench-paths.js';
import { formatTextTable, groupTableAlign, groupTableCells, groupTableHeaders } from './format-table.js';
import type { SuiteResult } from './suite-result.js';

/** Where to write and whether to print. */
export interface WriteSuiteResultOptions {
  /** Directory of result files. @defaultValue `<root>/bench/results` */
  readonly resultsDir?: string;
  /** Where the tables go; `null` prints nothing. @defaultValue console.log */
  readonly log?: ((line: string) => void) | null;
}

/**
 * Prints a suite's tables.
 * @param result - the suite's result.
 * @param log - a line printer.
 */
export function printSuiteResult(result: SuiteResult, log: (line: string) => void): void {
  log('');
  log(`== ${result.title} (${result.suite}${result.quick ? ', quick' : ''}) ==`);
  for (const group of result.groups) {
    log('');
    log(`${group.name}: ${group.description}`);
    log(formatTextTable(groupTableHeaders, groupTableCells(group), groupTableAlign));
  }
  for (const note of result.notes) log(`note: ${note}`);
}

/**
 * Writes `<resultsDir>/<suite>.json` and prints the tables.
 * @param result - the suite's result.
 * @param options - directory and printer.
 * @returns the path written.
 */
export async function writeSuiteResult(result: SuiteResult, options: WriteSuiteResultOptions = {}): Promise<string> {
  const dir = options.resultsDir ?? defaultResultsDir();
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${result.suite}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  const log = options.log === undefined ? (line: string) => console.log(line) : options.log;
  if (log !== null) {
    printSuiteResult(result, log);
    log(`wrote ${file}`);
  }
  return file;
}
