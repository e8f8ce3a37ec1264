/**
 * Reads every `bench/results/*.json` and rewrites `docs/benchmarks.md` and the charts.
 *
 * Results from suites run at different times are all kept, so running one suite refreshes its
 * section without losing the others.
 *
 * @module
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultDocsDir, defaultResultsDir } from './bench-paths.js';
import { renderChartSvg } from './render-chart-svg.js';
import { chartFileName, renderBenchmarksMarkdown, type SkippedResult } from './render-benchmarks-markdown.js';
import { suiteResultProblems, type SuiteResult } from './suite-result.js';
import { isSoakReport, renderSoakSection, soakResultFile } from '../soak-markdown.js';
import type { SoakReport } from '../../src/soak/soak-report.js';

/** Where to read and write. */
export interface RegenerateOptions {
  /** @defaultValue `<root>/bench/results` */
  readonly resultsDir?: string;
  /** @defaultValue `<root>/docs` */
  readonly docsDir?: string;
  /** Suites listed first, in this order; the rest follow by name. */
  readonly order?: readonly string[];
}

/** What was written. */
export interface RegenerateReport {
  /** Path of the Markdown page. */
  readonly markdown: string;
  /** Paths of the charts. */
  readonly charts: readonly string[];
  /** Result files that were not rendered. */
  readonly skipped: readonly SkippedResult[];
}

/**
 * Regenerates the benchmark docs.
 * @param options - directories and suite order.
 * @returns the files written and the files skipped.
 */
export async function regenerateBenchmarkDocs(options: RegenerateOptions = {}): Promise<RegenerateReport> {
  const resultsDir = options.resultsDir ?? defaultResultsDir();
  const docsDir = options.docsDir ?? defaultDocsDir();
  let files: string[] = [];
  try {
    files = (await readdir(resultsDir)).filter((f) => f.endsWith('.json')).sort();
  } catch {
    files = [];
  }
  const results: SuiteResult[] = [];
  const skipped: SkippedResult[] = [];
  let soak: SoakReport | undefined;
  for (const file of files) {
    try {
      const value: unknown = JSON.parse(await readFile(join(resultsDir, file), 'utf8'));
      // The fault soak's report has a format of its own; it gets its own section at the end.
      if (file === soakResultFile && isSoakReport(value)) {
        soak = value;
        continue;
      }
      const problems = suiteResultProblems(value);
      if (problems.length === 0) results.push(value as SuiteResult);
      else skipped.push({ file, problem: `not in the shared result format (${problems.slice(0, 3).join('; ')})` });
    } catch (error) {
      skipped.push({ file, problem: `cannot be read: ${(error as Error).message}` });
    }
  }
  const order = options.order ?? ['workloads', 'peers', 'server', 'deferred', 'threads', 'green', 'policy'];
  const rank = (s: string): number => (order.includes(s) ? order.indexOf(s) : order.length);
  results.sort((a, b) => rank(a.suite) - rank(b.suite) || a.suite.localeCompare(b.suite));
  await mkdir(docsDir, { recursive: true });
  const charts: string[] = [];
  for (const r of results) {
    const path = join(docsDir, chartFileName(r.suite));
    await writeFile(path, renderChartSvg(r));
    charts.push(path);
  }
  const markdown = join(docsDir, 'benchmarks.md');
  const page = renderBenchmarksMarkdown(results, skipped);
  await writeFile(markdown, soak === undefined ? page : `${page.trimEnd()}\n\n${renderSoakSection(soak).join('\n')}`);
  return { markdown, charts, skipped };
}
