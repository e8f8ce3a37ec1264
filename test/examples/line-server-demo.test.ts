/**
 * The line-server demo's concurrency claim, checked on the built demo in quick mode:
 * inline serialises the two clients' lookups; deferToThread and deferToGreenlet overlap them.
 *
 * Assertions are on the order and overlap of measured intervals, never on absolute times, so a
 * slow or busy machine cannot make them flaky. The demo runs as a child process on the built
 * JavaScript (workers import the built task module), with its own temporary directory so the
 * test can check the database file is removed.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LineServerDemoReport, ModeReport } from '../../examples/line-server/line-server-demo.js';

const demoMain = join(process.cwd(), 'dist', 'examples', 'line-server', 'main.js');

let report: LineServerDemoReport;
let tmp: string;

function mode(name: ModeReport['mode']): ModeReport {
  const m = report.modes.find((x) => x.mode === name);
  if (m === undefined) throw new Error(`mode ${name} missing from the report`);
  return m;
}

function byStart(m: ModeReport): ModeReport['spans'][number][] {
  return [...m.spans].sort((a, b) => a.startMs - b.startMs);
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'line-server-test-'));
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [demoMain, '--quick', '--json'], { env: { ...process.env, TMPDIR: tmp }, timeout: 50_000 }, (error, out, err) => {
      if (error !== null) reject(new Error(`demo failed: ${error.message}\n${err}`));
      else resolve(out);
    });
  });
  report = JSON.parse(stdout) as LineServerDemoReport;
}, 55_000);

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('line-server demo (quick)', () => {
  it('answers both clients in every mode', () => {
    expect(report.modes.map((m) => m.mode)).toEqual(['inline', 'deferToThread', 'deferToGreenlet']);
    for (const m of report.modes) {
      expect(m.clients.map((c) => c.name).sort()).toEqual(['A', 'B']);
      for (const c of m.clients) expect(c.reply).toMatch(new RegExp(`^FOUND ${c.name} \\d+ \\d+$`));
      expect(m.spans).toHaveLength(2);
    }
  });

  it('gives the same answers whichever path ran the lookup', () => {
    const replies = report.modes.map((m) => m.clients.map((c) => c.reply).sort());
    expect(replies[1]).toEqual(replies[0]);
    expect(replies[2]).toEqual(replies[0]);
  });

  it('inline: serves the clients one after the other', () => {
    const m = mode('inline');
    const [first, second] = byStart(m);
    expect(m.overlapped).toBe(false);
    // The second lookup starts only once the first is done: the loop was blocked meanwhile.
    expect(second!.startMs).toBeGreaterThanOrEqual(first!.endMs);
    // So the later reply comes after both lookups.
    const lastReply = Math.max(...m.clients.map((c) => c.repliedMs));
    expect(lastReply).toBeGreaterThanOrEqual(second!.endMs);
    // And the second client waited longer than the whole first lookup plus its own.
    const waits = m.clients.map((c) => c.repliedMs - c.sentMs).sort((a, b) => a - b);
    expect(waits[1]).toBeGreaterThan((first!.endMs - first!.startMs) + (second!.endMs - second!.startMs) * 0.5);
  });

  it.each(['deferToThread', 'deferToGreenlet'] as const)('%s: runs the two lookups at the same time', (name) => {
    const m = mode(name);
    const [first, second] = byStart(m);
    expect(m.overlapped).toBe(true);
    // The second lookup starts before the first one ends.
    expect(second!.startMs).toBeLessThan(first!.endMs);
    // Each client's reply follows its own lookup.
    for (const c of m.clients) {
      const span = m.spans.find((s) => s.client === c.name)!;
      expect(c.repliedMs).toBeGreaterThanOrEqual(span.endMs);
      expect(c.sentMs).toBeLessThanOrEqual(span.startMs);
    }
  });

  it('removes its database file', () => {
    expect(readdirSync(tmp)).toEqual([]);
  });
});
