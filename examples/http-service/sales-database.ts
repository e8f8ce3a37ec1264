/**
 * The HTTP demo's data: an `orders` table and a report query over it, with better-sqlite3.
 *
 * The report is the kind of query a synchronous ORM issues in a request handler: a scan with
 * a `GROUP BY` and a `count(DISTINCT …)`, about 100 ms on 200k rows. better-sqlite3 runs it on the
 * calling thread, so on the event loop it stalls every other request for that long.
 *
 * @module
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One line of the sales report. */
export interface RegionSales {
  region: string;
  orders: number;
  revenue: number;
  customers: number;
  avgAmount: number;
}

const regions = ['north', 'south', 'east', 'west', 'centre'];

const reportSql = `
  SELECT region, count(*) AS orders, sum(amount) AS revenue, count(DISTINCT customer) AS customers,
         avg(amount) AS avgAmount
  FROM orders WHERE day BETWEEN :from AND :to
  GROUP BY region ORDER BY revenue DESC`;

// One read-only connection per file per thread (each worker opens its own).
const connections = new Map<string, Database.Database>();

/**
 * The sales report for days `[from, to]`, computed synchronously.
 * @param file - the database made by {@link createSalesDatabase}.
 * @param from - first day (0–364).
 * @param to - last day.
 * @returns one line per region, by revenue.
 */
export function salesReportQuery(file: string, from: number, to: number): RegionSales[] {
  let db = connections.get(file);
  if (db === undefined) {
    db = new Database(file, { readonly: true, fileMustExist: true });
    connections.set(file, db);
  }
  return db.prepare(reportSql).all({ from, to }) as RegionSales[];
}

/** A database file in a fresh temporary directory, and how to remove it. */
export interface SalesDatabase {
  /** Path of the SQLite file. */
  readonly file: string;
  /** Closes this thread's connections and deletes the directory. */
  remove(): void;
}

/**
 * Creates the demo database in `os.tmpdir()`.
 * @param orders - how many orders to generate (the report's cost is linear in it).
 * @returns the file and its remover.
 */
export function createSalesDatabase(orders: number): SalesDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'greenreactor-http-'));
  const file = join(dir, 'sales.db');
  const db = new Database(file);
  db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER NOT NULL, region TEXT NOT NULL, day INTEGER NOT NULL, amount INTEGER NOT NULL)');
  const insert = db.prepare('INSERT INTO orders VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= orders; i++) insert.run(i, (i * 7919) % 5000, regions[i % regions.length], (i * 31) % 365, (i * 2654435761) % 1000);
  })();
  db.close();
  return {
    file,
    remove: () => {
      for (const c of connections.values()) c.close();
      connections.clear();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
