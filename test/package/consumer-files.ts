/**
 * The files of the throw-away consumer project the packaging test installs the tarball into.
 *
 * Each one uses greenreactor the way a user's project would: by its package name, with no path into the
 * repository. Kept as strings so the repository's own type-check and lint never see `'greenreactor'`
 * resolve to the sources.
 *
 * @module
 */

/** A consumer's task module (ESM): the task is defined and exported in the consumer's own file. */
export const tasksMjs = `import { defineTask } from 'greenreactor';

export const square = defineTask(import.meta.url, 'square', (n) => n * n, { kind: 'cpu' });

export const countUp = defineTask(import.meta.url, 'countUp', function* (n) {
  let total = 0;
  for (let i = 1; i <= n; i++) {
    total += i;
    yield; // a switch point on the green path; runs straight through in a worker
  }
  return total;
});
`;

/** Runs the consumer's tasks on each route, without stopping the reactor: the process must exit by itself. */
export const runMjs = `import { reactor, Deferred } from 'greenreactor';
import { cancelled } from 'greenreactor/worker';
import { square, countUp } from './tasks.mjs';

const thread = await reactor.deferToThread(square, 7);
const green = await reactor.deferToGreenlet(square, 8);
const greenGenerator = await reactor.deferToGreenlet(countUp, 100);
const dispatched = await reactor.dispatch(square, 9);
const route = reactor.explain(square, 9).route;
console.log(JSON.stringify({ thread, green, greenGenerator, dispatched, route, deferred: typeof Deferred, cancelled: cancelled() }));
`;

/** A CommonJS consumer: \`require()\`s the ESM package (Node >= 20.19) and runs a task defined in a CommonJS file. */
export const mainCjs = `const { pathToFileURL } = require('node:url');
const { defineTask, reactor, Deferred } = require('greenreactor');

const double = defineTask(pathToFileURL(__filename).href, 'double', (n) => n * 2);
module.exports = { double };

if (require.main === module) {
  reactor.deferToThread(double, 21).then((value) => {
    const schema = require('greenreactor/policy.schema.json');
    const pkg = require('greenreactor/package.json');
    const worker = require('greenreactor/worker');
    console.log(JSON.stringify({ value, deferred: typeof Deferred, schema: typeof schema.properties, name: pkg.name, cancelled: worker.cancelled() }));
  });
}
`;

/** A TypeScript consumer, type-checked with `tsc --noEmit` against the shipped declarations only. */
export const consumerTs = `import { defineTask, reactor, Deferred, Policy, type Decision, type PolicyConfig } from 'greenreactor';
import { cancelled, signal, throwIfCancelled } from 'greenreactor/worker';

export const sum = defineTask(import.meta.url, 'sum', (a: number, b: number): number => {
  throwIfCancelled();
  return a + b;
}, { kind: 'cpu' });

const viaDispatch: Deferred<number> = reactor.dispatch(sum, 1, 2);
const viaThread: Deferred<number> = reactor.deferToThread(sum, 1, 2);
const viaGreenlet: Deferred<string> = reactor.deferToGreenlet((s: string) => s.toUpperCase(), 'a');
const decision: Decision = reactor.explain(sum, 1, 2);
const config: PolicyConfig = { default: 'auto', rules: [{ name: 'sums', match: { task: 'sum*' }, route: 'thread' }] };
const policy: Policy = Policy.load(config);
// @ts-expect-error the task takes numbers
reactor.deferToThread(sum, 'one', 2);
const isCancelled: boolean = cancelled();
const abortSignal: AbortSignal = signal;
export const used = [viaDispatch, viaThread, viaGreenlet, decision, policy, isCancelled, abortSignal];
`;

/** The consumer's tsconfig: strict, NodeNext, the defaults \`tsc --init\` writes for skipLibCheck. */
export const tsconfigJson = JSON.stringify({
  compilerOptions: {
    target: 'ES2023',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    types: ['node'],
    skipLibCheck: true,
  },
  files: ['consumer.ts'],
});

/** A consumer's policy file, for `npx greenreactor policy check`. */
export const policyJson = JSON.stringify({
  $schema: './node_modules/greenreactor/policy.schema.json',
  default: 'auto',
  threads: { maxThreads: 2 },
  rules: [{ name: 'squares', match: { task: 'square' }, route: 'thread', timeoutMs: 5000 }],
});

/** The consumer project's package.json (ESM). */
export const packageJson = JSON.stringify({ name: 'greenreactor-consumer', version: '1.0.0', private: true, type: 'module' });
