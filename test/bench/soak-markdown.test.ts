import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { regenerateBenchmarkDocs } from '../../bench/lib/regenerate-benchmark-docs.js';
import { isSoakReport, renderSoakSection } from '../../bench/soak-markdown.js';
import { formatSoakReport, soakReportSchema, type SoakReport } from '../../src/soak/soak-report.js';

/** A report as `greenreactor soak --json` writes it, with one failed check. */
function report(): SoakReport {
  return {
    schema: soakReportSchema,
    date: '2026-12-05T18:00:00.000Z',
    calls: 1000,
    seed: 10,
    durationMs: 4000,
    callsPerSec: 250,
    machine: { cpus: 2, loadStart: 3.5, loadEnd: 4.25, node: 'v20.20.2' },
    planned: {
      byApi: { dispatch: 330, deferToThread: 340, deferToGreenlet: 330 },
      byOutcome: { value: 820, throw: 100, crash: 10, cancel: 50, timeout: 20 },
      byWork: { 'thread-value': 400 },
    },
    ratios: { value: 0.82, throw: 0.1, crash: 0.01, cancel: 0.05, timeout: 0.02 },
    observed: { value: 820, RangeError: 100, WorkerCrashedError: 10, CancelledError: 50, TimeoutError: 20 },
    stop: { graceMs: 200, boundMs: 2200, ms: 300 },
    heap: { beforeBytes: 10e6, afterBytes: 10.5e6, ratio: 1.05 },
    pool: { minThreads: 1, threadsBeforeStop: 1, crashed: 10, cancelled: 30, timedOut: 10, coalesced: 300, batches: 20 },
    hub: { spawned: 400, liveAfterStop: 0, escapes: 0 },
    checks: [
      { name: 'every Deferred fired exactly once', passed: true, detail: '0 never fired' },
      { name: 'no handle left open', passed: false, detail: 'left open: 1 × Timeout | x' },
    ],
    passed: false,
  };
}

describe('renderSoakSection()', () => {
  it('renders the planned shares, the observed endings and every check, naming the failed ones', () => {
    const text = renderSoakSection(report()).join('\n');
    expect(text).toContain('## Fault soak');
    expect(text).toContain('| crash | 10 | 1.0 % |');
    expect(text).toContain('| `deferToThread` | 340 |');
    expect(text).toContain('| WorkerCrashedError | 10 |');
    expect(text).toContain('| every Deferred fired exactly once | yes | 0 never fired |');
    expect(text).toContain('| no handle left open | **no** | left open: 1 × Timeout \\| x |');
    expect(text).toContain('**Failed:** no handle left open.');
    expect(text).toContain('load\n3.5 at start and 4.3 at the end');
  });
});

describe('formatSoakReport()', () => {
  it('says how many thread calls travelled coalesced, and in how many batches', () => {
    expect(formatSoakReport(report())).toContain('threads: 300 calls travelled coalesced, in 20 batches');
  });
});

describe('isSoakReport()', () => {
  it.each([
    ['accepts a soak report', report(), true],
    ['rejects a bench suite result', { schema: 'greenreactor-bench/1', suite: 'x', groups: [] }, false],
    ['rejects null', null, false],
    ['rejects a report without checks', { ...report(), checks: undefined }, false],
  ])('%s', (_what, value, expected) => {
    expect(isSoakReport(value)).toBe(expected);
  });
});

describe('regenerateBenchmarkDocs() with a soak report', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'soak-docs-'));
    mkdirSync(join(dir, 'results'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders soak.json as its own section instead of listing it as unreadable', async () => {
    writeFileSync(join(dir, 'results', 'soak.json'), JSON.stringify(report()));
    const written = await regenerateBenchmarkDocs({ resultsDir: join(dir, 'results'), docsDir: join(dir, 'docs') });
    const page = readFileSync(written.markdown, 'utf8');
    expect(written.skipped).toEqual([]);
    expect(page).toContain('<a id="soak"></a>');
    expect(page).toContain('## Fault soak');
    expect(page).not.toContain('Result files not shown');
  });

  it('lists a soak.json in another format as skipped', async () => {
    writeFileSync(join(dir, 'results', 'soak.json'), JSON.stringify({ schema: 'something-else' }));
    const written = await regenerateBenchmarkDocs({ resultsDir: join(dir, 'results'), docsDir: join(dir, 'docs') });
    expect(written.skipped.map((s) => s.file)).toEqual(['soak.json']);
    expect(readFileSync(written.markdown, 'utf8')).not.toContain('## Fault soak');
  });
});
