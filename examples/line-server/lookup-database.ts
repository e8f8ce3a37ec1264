/**
 * The demo's "slow lookup": a real better-sqlite3 query, made slow on purpose.
 *
 * better-sqlite3 is synchronous: while a query runs, the thread that called it does nothing
 * else. That is exactly the situation `deferToThread` was made for in Twisted (a blocking DB-API
 * call inside a network server), so the demos use it instead of a `sleep`.
 *
 * The lookup scans a range of a recursive CTE (a generated sequence) joined to a small table;
 * its cost grows linearly with the range, so the demo calibrates the range to take about the
 * target time on this machine, and can split it into pages for a cooperative (green) handler.
 *
 * @module
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How many rows the generated `items` table holds. */
export const itemCount = 20_000;

/** The lookup's result: how many generated rows matched and the sum of their prices. */
export interface LookupResult {
  /** Matching rows. */
  hits: number;
  /** Sum of their prices. */
  total: number;
}

const lookupSql = `
  WITH RECURSIVE n(x) AS (SELECT :lo UNION ALL SELECT x + 1 FROM n WHERE x + 1 < :hi)
  SELECT count(*) AS hits, coalesce(sum(items.price), 0) AS total
  FROM n JOIN items ON items.id = (n.x * 7919) % :rows + 1
  WHERE items.name LIKE :pattern`;

// One connection per database file per thread: opening costs more than a small page of the query.
const connections = new Map<string, Database.Database>();

function connection(file: string): Database.Database {
  let db = connections.get(file);
  if (db === undefined) {
    db = new Database(file, { readonly: true, fileMustExist: true });
    connections.set(file, db);
  }
  return db;
}

/**
 * Runs the lookup over the sequence range `[lo, hi)`, synchronously (blocks the calling thread).
 *
 * @param file - the database file made by {@link createLookupDatabase}.
 * @param key - what to look for: rows whose name contains it.
 * @param lo - first sequence number.
 * @param hi - one past the last; cost is linear in `hi - lo`.
 * @returns hits and total.
 */
export function lookupRange(file: string, key: string, lo: number, hi: number): LookupResult {
  if (hi <= lo) return { hits: 0, total: 0 };
  const row = connection(file).prepare(lookupSql).get({ lo, hi, rows: itemCount, pattern: `%${key}%` }) as LookupResult;
  return { hits: row.hits, total: row.total };
}

/**
 * Closes the connections this thread opened (a worker's connections close when it exits).
 */
export function closeLookupConnections(): void {
  for (const db of connections.values()) db.close();
  connections.clear();
}

/** A database file in a fresh temporary directory, and how to remove it. */
export interface LookupDatabase {
  /** Path of the SQLite file. */
  readonly file: string;
  /** Closes this thread's connections and deletes the directory. */
  remove(): void;
}

/**
 * Creates the demo database in `os.tmpdir()`: one table of {@link itemCount} generated items.
 * @returns the file and its remover.
 */
export function createLookupDatabase(): LookupDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'greenreactor-demo-'));
  const file = join(dir, 'items.db');
  const db = new Database(file);
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price INTEGER NOT NULL)');
  const insert = db.prepare('INSERT INTO items (id, name, price) VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= itemCount; i++) insert.run(i, `item-${(i * 2654435761) % 1_000_000}`, (i * 37) % 1000);
  })();
  db.close();
  return {
    file,
    remove: () => {
      closeLookupConnections();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Finds the sequence length that makes one lookup take about `targetMs` on this machine.
 *
 * Timing a fixed probe and scaling keeps the demo's story ("each lookup takes ~1 s") true on a
 * fast laptop and on a slow CI runner alike.
 *
 * @param file - the database.
 * @param targetMs - the wanted duration of one lookup.
 * @returns the range length to pass as `hi - lo`.
 */
export function calibrateLookup(file: string, targetMs: number): number {
  const probe = 100_000;
  lookupRange(file, '7', 0, probe); // first run pays for preparing and paging in
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    lookupRange(file, '7', 0, probe);
    best = Math.min(best, performance.now() - t0);
  }
  return Math.max(1000, Math.round((probe * targetMs) / Math.max(best, 0.01)));
}
