/**
 * The report as a task, defined once, in a module a worker thread can import.
 *
 * `kind: 'blocking'` says what it is; `examples/policy.json` has a rule for it by name
 * (`reports-on-threads`), so `reactor.dispatch(salesReport, …)` sends it to a worker.
 *
 * @module
 */
import { defineTask } from '../../src/index.js'; // in your code: from 'greenreactor'
import { salesReportQuery } from './sales-database.js';

/** `salesReport(file, from, to)`: the blocking report query, runnable on every path. */
export const salesReport = defineTask(import.meta.url, 'salesReport', salesReportQuery, { kind: 'blocking' });
