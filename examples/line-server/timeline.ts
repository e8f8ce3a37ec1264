/**
 * A shared clock and log for one run of the demo, printed as a timeline at the end.
 *
 * Clients and server note what happens with the milliseconds since the run began, so the
 * printout reads like the logs of Twisted's original deferToThread story: who asked, when the
 * lookup started and finished, when each client got its reply.
 *
 * @module
 */

/** One line of the timeline. */
export interface TimelineEntry {
  /** Milliseconds since the run began. */
  readonly atMs: number;
  /** Who logged it: `server`, `client A`… */
  readonly who: string;
  /** What happened. */
  readonly text: string;
}

/** Collects timestamped entries relative to its creation. */
export class Timeline {
  readonly #t0 = performance.now();
  readonly #entries: TimelineEntry[] = [];

  /** Milliseconds since the timeline was created, rounded to 0.1 ms. */
  now(): number {
    return Math.round((performance.now() - this.#t0) * 10) / 10;
  }

  /**
   * Notes an event now.
   * @param who - the actor.
   * @param text - what happened.
   * @returns the time noted.
   */
  log(who: string, text: string): number {
    const atMs = this.now();
    this.#entries.push({ atMs, who, text });
    return atMs;
  }

  /** The entries in time order. */
  entries(): TimelineEntry[] {
    return [...this.#entries].sort((a, b) => a.atMs - b.atMs);
  }

  /**
   * The timeline as printable lines: `  1012.3 ms  server     B: lookup done`.
   * @returns one line per entry.
   */
  format(): string[] {
    return this.entries().map((e) => `${e.atMs.toFixed(1).padStart(9)} ms  ${e.who.padEnd(9)}  ${e.text}`);
  }
}
