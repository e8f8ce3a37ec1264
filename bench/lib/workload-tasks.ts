/**
 * The workloads the `workloads` and `peers` suites run, each defined once as a task.
 *
 * Worker threads import this module to find the tasks, so it stays light: no reactor, no pool,
 * only the functions and their `defineTask` wrappers. Every path (inline, thread, greenlet,
 * dispatch) runs exactly these functions.
 *
 * @module
 */
import Database from 'better-sqlite3';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineTask } from '../../src/index.js';

/**
 * Naive recursive Fibonacci: pure CPU, no allocation.
 * @param n - the index.
 * @returns fib(n).
 */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** `fibTask(n)`: CPU-bound. */
export const fibTask = defineTask(import.meta.url, 'fibTask', fib, { kind: 'cpu' });

// One connection per file per thread.
const connections = new Map<string, Database.Database>();

/**
 * A blocking better-sqlite3 query: an aggregate over a range of a generated table.
 * @param file - a database made by the suite (`bench_rows(id, grp, val)`).
 * @param lo - first id.
 * @param hi - last id.
 * @returns the sum of `val` over the range.
 */
export function sqliteQuery(file: string, lo: number, hi: number): number {
  let db = connections.get(file);
  if (db === undefined) {
    db = new Database(file, { readonly: true, fileMustExist: true });
    connections.set(file, db);
  }
  const row = db.prepare('SELECT sum(val * (grp % 7)) AS s FROM bench_rows WHERE id BETWEEN ? AND ? AND val % 3 <> 0').get(lo, hi) as { s: number | null };
  return row.s ?? 0;
}

/**
 * The same query written for a greenlet: the range in pages, with a switch point between them.
 * @param file - the database.
 * @param lo - first id.
 * @param hi - last id.
 * @param pages - how many pieces.
 * @returns the same sum as {@link sqliteQuery} over the whole range.
 */
export function* pagedSqliteQuery(file: string, lo: number, hi: number, pages: number): Generator<unknown, number, unknown> {
  const step = Math.ceil((hi - lo + 1) / pages);
  let sum = 0;
  for (let a = lo; a <= hi; a += step) {
    sum += sqliteQuery(file, a, Math.min(hi, a + step - 1));
    yield; // let other greenlets and the loop's I/O run between pages
  }
  return sum;
}

/** `sqliteTask(file, lo, hi)`: blocking synchronous I/O. */
export const sqliteTask = defineTask(import.meta.url, 'sqliteTask', sqliteQuery, { kind: 'blocking' });

/** Closes this thread's database connections (the suite calls it before deleting the file). */
export function closeBenchConnections(): void {
  for (const db of connections.values()) db.close();
  connections.clear();
}

/**
 * Cooperative I/O: a 1 ms timer, then two async reads of a small file.
 * @param file - a small file to read.
 * @returns bytes read.
 */
export async function cooperativeIo(file: string): Promise<number> {
  await sleep(1);
  const a = await readFile(file);
  const b = await readFile(file);
  return a.length + b.length;
}

/** `ioTask(file)`: cooperative I/O (timers and async file reads). */
export const ioTask = defineTask(import.meta.url, 'ioTask', cooperativeIo, { kind: 'io' });

/**
 * A tiny task: the overhead of a path, with nothing to hide it.
 * @param x - a number.
 * @returns x + 1.
 */
export function tiny(x: number): number {
  return x + 1;
}

/** `tinyTask(x)`: no declared kind, so `auto` learns where it belongs. */
export const tinyTask = defineTask(import.meta.url, 'tinyTask', tiny);

/**
 * Reads a large payload: the cost is moving the bytes, not the work.
 * @param bytes - the payload.
 * @returns a checksum of every 4096th byte and the length.
 */
export function checksum(bytes: Uint8Array): number {
  let s = bytes.length;
  for (let i = 0; i < bytes.length; i += 4096) s = (s + (bytes[i] ?? 0)) | 0;
  return s;
}

/** `payloadTask(bytes)`: a 1 MiB argument, structured-cloned into the worker. */
export const payloadTask = defineTask(import.meta.url, 'payloadTask', checksum, { kind: 'cpu' });

/** `payloadTransferTask(bytes)`: the same, with the buffer transferred (moved, not copied). */
export const payloadTransferTask = defineTask(import.meta.url, 'payloadTransferTask', checksum, {
  kind: 'cpu',
  transfer: (bytes: Uint8Array) => [bytes.buffer as ArrayBuffer],
});

/**
 * Holds the thread for `ms` of wall time: a stand-in for a slow synchronous call (a cache miss that falls through
 * to a lookup, a cold table being built). Benchmarks only.
 * @param ms - how long.
 */
function holdFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // a synchronous stall
  }
}

/** How long a slow call of {@link costByArgument} holds its thread (ms). */
export const slowCallMs = 50;

/**
 * A task whose cost depends on its argument: `x + 1` in microseconds, except one call in ten (`x % 10 === 9`)
 * holds its thread {@link slowCallMs} ms.
 * @param x - a number.
 * @returns x + 1.
 */
export function costByArgument(x: number): number {
  if (x % 10 === 9) holdFor(slowCallMs);
  return x + 1;
}

/** `costByArgumentTask(x)`: no kind; 90 % of calls tiny, 10 % 50 ms. */
export const costByArgumentTask = defineTask(import.meta.url, 'costByArgumentTask', costByArgument);

/** How many first calls of {@link warmsUp} are slow, and how slow (ms). */
export const coldCalls = { count: 100, ms: 2 };

/**
 * A task that turns cheap: its first {@link coldCalls}`.count` calls (by the caller's call number, so every path
 * sees the same sequence whichever thread runs it) hold their thread {@link coldCalls}`.ms` ms, like filling a
 * cache; later calls are `x + 1`.
 * @param call - the caller's call number, from 0.
 * @returns call + 1.
 */
export function warmsUp(call: number): number {
  if (call < coldCalls.count) holdFor(coldCalls.ms);
  return call + 1;
}

/** `warmsUpTask(call)`: no kind; slow for its first 100 calls, tiny after. */
export const warmsUpTask = defineTask(import.meta.url, 'warmsUpTask', warmsUp);
