/**
 * The lookup written for a greenlet: the same query, split into pages, with a switch point
 * between pages.
 *
 * A greenlet cannot make a synchronous query yield in the middle — better-sqlite3 holds the
 * thread until it returns — so the cooperative version does the work in small pieces and
 * `yield`s between them (gevent's rule: a switch happens only where the code allows it). Each
 * page is short (a few ms), so the hub can interleave two lookups and let the event loop serve
 * sockets and timers between pages. The total CPU time is the same as the inline lookup.
 *
 * @module
 */
import { lookupRange, type LookupResult } from './lookup-database.js';

/**
 * Runs the lookup over `[0, length)` in pages of `pageSize`, yielding between pages.
 *
 * @param file - the database file.
 * @param key - what to look for.
 * @param length - the whole range (same as the inline lookup's).
 * @param pageSize - sequence numbers per page; smaller pages switch more often.
 * @returns hits and total, identical to `lookupRange(file, key, 0, length)`.
 */
export function* cooperativeLookup(file: string, key: string, length: number, pageSize: number): Generator<unknown, LookupResult, unknown> {
  const sum: LookupResult = { hits: 0, total: 0 };
  for (let lo = 0; lo < length; lo += pageSize) {
    const page = lookupRange(file, key, lo, Math.min(length, lo + pageSize));
    sum.hits += page.hits;
    sum.total += page.total;
    yield; // switch point: the other client's lookup and the loop's I/O get their turn
  }
  return sum;
}
