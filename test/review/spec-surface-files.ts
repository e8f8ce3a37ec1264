/**
 * The consumer files of test/review/spec-surface.test.ts: a user's project meeting the SPEC's names on the package's
 * entry points. Kept as strings so the repository's own type-check and lint never see `'greenreactor'` resolve to
 * the sources.
 *
 * @module
 */

/**
 * The names SPEC.md gives each entry point, with what they are: `class` (a constructor), `function`, `object`.
 * Types are not listed: they do not exist at run time (the docs type-check pins them, test/docs/examples-types).
 */
export const specNames: Record<string, Record<string, 'class' | 'function' | 'object'>> = {
  greenreactor: {
    // §1
    Deferred: 'class', Failure: 'class', succeed: 'function', fail: 'function', maybeDeferred: 'function',
    ensureDeferred: 'function', inlineCallbacks: 'function', deferLater: 'function', DeferredList: 'class',
    gatherResults: 'function', race: 'function', DeferredLock: 'class', DeferredSemaphore: 'class',
    DeferredQueue: 'class', setUnhandledErrorHandler: 'function',
    GreenReactorError: 'class', AlreadyCalledError: 'class', AlreadyCancelledError: 'class', CancelledError: 'class',
    TimeoutError: 'class', FirstError: 'class', FailureGroup: 'class', QueueOverflow: 'class', QueueUnderflow: 'class',
    ReactorStoppedError: 'class', WorkerCrashedError: 'class', TaskNotFoundError: 'class', QueueFullError: 'class',
    DataCloneError: 'class', GreenletExit: 'class', QueueFull: 'class', QueueEmpty: 'class', PolicyConfigError: 'class',
    // §2, §3, §4
    Clock: 'class', Reactor: 'class', reactor: 'object', defineTask: 'function', taskFrom: 'function',
    // §6
    Hub: 'class', Greenlet: 'class', killAll: 'function', GreenPool: 'class', Group: 'class', Event: 'class',
    AsyncResult: 'class', Queue: 'class', Semaphore: 'class', BoundedSemaphore: 'class', Lock: 'class',
    withTimeout: 'function', joinAll: 'function',
    // §7, §9, §10
    Policy: 'class', TaskStream: 'class', defineContextCarrier: 'function',
  },
  'greenreactor/worker': {
    cancelled: 'function', throwIfCancelled: 'function', signal: 'object', blockingCallFromThread: 'function',
    callFromThread: 'function', emit: 'function', progress: 'function', deadline: 'function',
    defineContextCarrier: 'function',
  },
  'greenreactor/remote-bullmq': { bullmqBackend: 'function', runRemoteWorker: 'function' },
};

/** The consumer's task module: a task that ends its worker, and one the reactor can call. */
export const tasksMjs = `import { defineTask } from 'greenreactor';

export const crash = defineTask(import.meta.url, 'crash', () => process.exit(3));
export const echo = defineTask(import.meta.url, 'echo', (value) => value);
`;

/**
 * A script that prints, as JSON, what each entry point exports under the SPEC's names (given as its argument):
 * `class`, `function`, `object` or `missing`.
 * @param load - how the script loads an entry point: `await import(entry)` (ESM) or `require(entry)` (CommonJS).
 * @returns the script's text.
 */
function kindsScript(load: string): string {
  return `const names = JSON.parse(process.argv[2]);
const kindOf = (v) => v === undefined ? 'missing' : typeof v === 'function' ? (/^class\\b/.test(Function.prototype.toString.call(v)) ? 'class' : 'function') : typeof v;
const seen = {};
for (const [entry, wanted] of Object.entries(names)) {
  const mod = ${load};
  seen[entry] = Object.fromEntries(Object.keys(wanted).map((n) => [n, kindOf(mod[n])]));
}
console.log(JSON.stringify(seen));
`;
}

/** The export check as an ES module. */
export const kindsMjs = kindsScript('await import(entry)');

/** The export check as CommonJS: \`require()\` of the ESM package, as a CommonJS consumer does (Node >= 20.19). */
export const kindsCjs = kindsScript('require(entry)');

/**
 * Meets every error class the SPEC names where the SPEC says it is thrown or errbacked, and prints, per class, what
 * came out there: its \`name\`, \`code\`, whether it is an instance of the exported class and of \`GreenReactorError\`.
 */
export const errorsMjs = `import * as G from 'greenreactor';
import { crash, echo } from './tasks.mjs';

const seen = {};
const note = (expected, error) => {
  seen[expected] = { name: error?.name, code: error?.code, isClass: error instanceof G[expected], isBase: error instanceof G.GreenReactorError };
};
const thrown = (fn) => { try { fn(); return undefined; } catch (error) { return error; } };
const failureOf = (d) => new Promise((resolve) => d.addCallbacks(() => resolve(undefined), (f) => resolve(f.value)));

// §1: a second callback(); cancel(); addTimeout on a Clock; gatherResults and race; DeferredQueue past size/backlog.
const fired = new G.Deferred();
fired.callback(1);
note('AlreadyCalledError', thrown(() => fired.callback(2)));
note('CancelledError', await failureOf((() => { const d = new G.Deferred(); d.cancel(); return d; })()));
const clock = new G.Clock();
const timed = new G.Deferred().addTimeout(10, clock);
clock.advance(10);
note('TimeoutError', await failureOf(timed));
note('FirstError', await failureOf(G.gatherResults([G.succeed(1), G.fail(new Error('second'))], true)));
note('FailureGroup', await failureOf(G.race([G.fail(new Error('a')), G.fail(new Error('b'))])));
const bounded = new G.DeferredQueue(1, 1);
bounded.put(1);
note('QueueOverflow', thrown(() => bounded.put(2)));
const backlog = new G.DeferredQueue(1, 1);
backlog.get();
note('QueueUnderflow', thrown(() => backlog.get()));
// §2: cancel() of a cancelled DelayedCall.
const call = clock.callLater(5, () => {});
call.cancel();
note('AlreadyCancelledError', thrown(() => call.cancel()));
// §3, §4, §5: a function argument, an unknown export, a worker that exits, a stopped reactor.
const reactor = new G.Reactor({ policy: { threads: { maxThreads: 1 } } });
note('DataCloneError', await failureOf(reactor.deferToThread(echo, () => 1)));
note('TaskNotFoundError', await failureOf(reactor.deferToThread(G.taskFrom(new URL('./tasks.mjs', import.meta.url), 'nothing'))));
note('WorkerCrashedError', await failureOf(reactor.deferToThread(crash)));
// §6: a kill, a full hub, putNowait/getNowait.
const hub = new G.Hub({ maxGreenlets: 1 });
const sleeper = hub.spawn(function* () { yield hub.sleep(60_000); });
note('QueueFullError', await failureOf(hub.spawn(() => 1).get()));
await sleeper.kill();
note('GreenletExit', sleeper.value);
const queue = new G.Queue(1);
queue.putNowait(1);
note('QueueFull', thrown(() => queue.putNowait(2)));
note('QueueEmpty', thrown(() => new G.Queue().getNowait()));
// §7: an invalid config.
note('PolicyConfigError', thrown(() => G.Policy.load({ threads: { maxThreads: 0 } })));
// §3: work after stop().
const stopping = reactor.stop();
note('ReactorStoppedError', await failureOf(reactor.dispatch(echo, 1)));
await stopping;
console.log(JSON.stringify(seen));
`;
