/**
 * The soak's section of docs/benchmarks.md, rendered from `bench/results/soak.json` (written by `npm run soak`).
 *
 * The soak is not a tinybench suite (its figures are counts and checks, not throughput rows), so its result file has
 * its own format ({@link SoakReport}); the docs generator renders it after the suites.
 *
 * @module
 */
import { soakReportSchema, type SoakReport } from '../src/soak/soak-report.js';

/** The result file the soak writes, in the results directory. */
export const soakResultFile = 'soak.json';

/**
 * Tells whether a parsed JSON value is a soak report this renderer understands.
 * @param value - a parsed JSON value.
 * @returns true for a {@link SoakReport}.
 */
export function isSoakReport(value: unknown): value is SoakReport {
  const v = value as Partial<SoakReport> | null;
  return typeof v === 'object' && v !== null && v.schema === soakReportSchema && Array.isArray(v.checks) && typeof v.calls === 'number';
}

/**
 * Renders the soak section.
 * @param report - the soak's report.
 * @returns Markdown lines, starting with the section heading.
 */
export function renderSoakSection(report: SoakReport): string[] {
  const pct = (n: number): string => `${(n * 100).toFixed(1)} %`;
  const count = (n: number): string => n.toLocaleString('en-US');
  const out = [
    '<a id="soak"></a>',
    '',
    '## Fault soak: nothing lost, held, reported twice or left open (`soak`)',
    '',
    `${count(report.calls)} mixed calls through \`dispatch\`, \`deferToThread\` and \`deferToGreenlet\`, then \`stop()\`; run with`,
    '`npm run soak` (or `npx greenreactor soak [--calls N]`). The plan is drawn from a seeded PRNG',
    `(seed ${report.seed}): the counts are the same on every machine, the timings are not.`,
    `Run ${report.date.slice(0, 16).replace('T', ' ')} UTC on ${report.machine.cpus} CPUs, Node ${report.machine.node}, 1-minute load`,
    `${report.machine.loadStart.toFixed(1)} at start and ${report.machine.loadEnd.toFixed(1)} at the end (other work shared the machine):`,
    `${(report.durationMs / 1000).toFixed(1)} s, ${count(Math.round(report.callsPerSec))} calls/s.`,
    '',
    '| planned outcome | calls | share |',
    '| --- | ---: | ---: |',
  ];
  for (const outcome of ['value', 'throw', 'crash', 'cancel', 'timeout'] as const) {
    out.push(`| ${outcome} | ${count(report.planned.byOutcome[outcome])} | ${pct(report.ratios[outcome])} |`);
  }
  out.push('', '| API | calls |', '| --- | ---: |');
  for (const [api, n] of Object.entries(report.planned.byApi)) out.push(`| \`${api}\` | ${count(n)} |`);
  out.push('', '| observed ending | calls |', '| --- | ---: |');
  for (const [name, n] of Object.entries(report.observed).sort((a, b) => b[1] - a[1])) out.push(`| ${name} | ${count(n)} |`);
  out.push('', '| check | held | figures |', '| --- | :---: | --- |');
  for (const check of report.checks) out.push(`| ${check.name} | ${check.passed ? 'yes' : '**no**'} | ${check.detail.replace(/\|/g, '\\|')} |`);
  out.push('', report.passed ? 'Every check held.' : `**Failed:** ${report.checks.filter((c) => !c.passed).map((c) => c.name).join('; ')}.`, '');
  return out;
}
