/**
 * `runSoak`: the fault soak — many mixed calls through `dispatch`, `deferToThread` and `deferToGreenlet`, a
 * share of them throwing, crashing their worker, cancelled or timed out, then `stop()` — and the checks that
 * nothing was lost, held, reported twice or left open.
 *
 * Why a soak and not more unit tests: the defects it guards against (a kill lost after a foreign await, a token
 * kept by a dead waiter, a Deferred fired twice by a late result racing a cancel, a greenlet spawned during the
 * grace outliving `stop()`) show up when thousands of calls interleave, not in a scripted sequence.
 *
 * How a round runs: calls are drawn from a seeded plan and kept `window` at a time in flight; each call's Deferred
 * gets one handler that counts its firings and checks its outcome against the plan (consuming failures, so
 * nothing may be reported unhandled). When every call fired, the pool must shrink back to `minThreads`; then
 * greenlets that only a kill ends (looping on foreign awaits, holding a token, a supervisor spawning more during
 * the grace) and thread tasks are left running, and `stop()` must end them all within its bound. A warm-up round
 * first fills the caches, so that the heap and open handles after the measured round can be compared with before.
 *
 * Why the warm-up is as long as the measured round: what a round leaves behind once (compiled code, V8's feedback,
 * pools and tables grown to their working size) grows with the round's length, and a short warm-up left some of it
 * to the measured round. Measured (one process per row, load 3–6): against a 250-call warm-up a 5,000-call round
 * read ×1.076 of the heap, against a 1,000-call one a 20,000-call round ×1.066, and the 100,000-call soak ×1.100
 * against 2,000, at the check's bound; after an equal round the same rounds read ×1.026 and ×1.007. Growth that
 * comes with every call still shows: the second round adds it again.
 *
 * The real timers here are deliberate: the soak runs in real time, like the users it stands for.
 *
 * @module
 */
import { loadavg, availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Deferred } from '../deferred/deferred.js';
import { isFailure } from '../deferred/failure.js';
import { setUnhandledErrorHandler } from '../deferred/unhandled-error-handler.js';
import type { PolicyConfig } from '../policy/policy-schema.js';
import { Reactor } from '../reactor/reactor.js';
import { taskFrom, type Task } from '../task/task.js';
import type { ThreadPoolStats } from '../threads/thread-pool-stats.js';
import { planCall, seededRandom, type SoakApi, type SoakCall, type SoakOutcome, type SoakWork } from './soak-plan.js';
import { SoakGreenWork } from './soak-greenlets.js';
import { soakReportSchema, type SoakCheck, type SoakReport } from './soak-report.js';
import { soakStartedName } from './soak-tasks.js';
import { safeString } from '../safe-string.js';

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /**
   * Calls in the measured round.
   * @defaultValue 100000
   */
  calls?: number;
  /**
   * Seed of the plan; the same seed gives the same counts.
   * @defaultValue 10
   */
  seed?: number;
  /**
   * Calls in flight at once.
   * @defaultValue 128
   */
  window?: number;
  /**
   * The `graceMs` given to `stop()`.
   * @defaultValue 200
   */
  graceMs?: number;
  /**
   * Calls in the warm-up round (not counted, but its failures are reported too). The heap check compares the heap
   * after the measured round with the heap after this one: fewer calls here leave one-time growth to the measured
   * round (see the module comment).
   * @defaultValue `calls` (an equal round)
   */
  warmupCalls?: number;
  /**
   * The module the worker-side functions are loaded from. Only a test running the TypeScript sources needs it
   * (workers load JavaScript: point it at `dist/src/soak/soak-tasks.js`).
   * @defaultValue `./soak-tasks.js` beside this module
   */
  taskModuleUrl?: string | URL;
  /**
   * Called about every `progressEveryMs` with the calls done so far in the measured round.
   * @defaultValue none
   */
  onProgress?: ((done: number, total: number, elapsedMs: number) => void) | undefined;
  /**
   * How often progress is reported (ms).
   * @defaultValue 500
   */
  progressEveryMs?: number;
  /**
   * How long without a single call completing counts as a stall (the round then stops dispatching).
   * @defaultValue 20000
   */
  stallMs?: number;
}

/** The defaults of {@link SoakOptions}. */
export const defaultSoakOptions = Object.freeze({
  calls: 100_000,
  seed: 10,
  window: 128,
  graceMs: 200,
  progressEveryMs: 500,
  stallMs: 20_000,
});

/** The soak reactor's policy: a small pool that must recover from every crash and shrink back when idle. */
const soakPolicy = {
  threads: {
    minThreads: 1,
    maxThreads: 2,
    // Long enough that workers are reused across bursts (every crash already costs a new worker).
    idleTimeoutMs: 500,
    cancelGraceMs: 100,
    // Small, so that running out of memory is quick; a worker running the soak's tasks needs far less.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
  },
} satisfies PolicyConfig;

/** Whether a pool was handed a task (it then started its workers, and keeps `minThreads` of them). */
function poolStarted(s: ThreadPoolStats): boolean {
  return s.completed + s.failed + s.cancelled + s.timedOut + s.crashed + s.inFlight > 0;
}

/** How long after its grace `stop()` may take: SPEC §6.1's 1000 ms for killed greenlets, 1000 ms to end the workers. */
const stopSlackMs = 2000;

/** The outcomes, indexed by the code a round stores per call. */
const outcomes: readonly SoakOutcome[] = ['value', 'throw', 'crash', 'cancel', 'timeout'];

/** The error name a planned outcome must end with (`value`: the call's own index as result). */
const expectedName: Record<SoakOutcome, string> = {
  value: 'value',
  throw: 'RangeError',
  crash: 'WorkerCrashedError',
  cancel: 'CancelledError',
  timeout: 'TimeoutError',
};

/** `gc()`: the global one under `--expose-gc`, else enabled through V8 flags (as `node --expose-gc` would). */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects garbage until finalizers (unhandled-failure reports) had their turn. */
async function collect(gc: () => void): Promise<void> {
  for (let k = 0; k < 4; k++) {
    gc();
    await nextTurn();
  }
}

/** Waits until `condition()` holds, looking every 20 ms, at most `ms`. @returns whether it held. */
async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > end) return false;
    await sleep(20);
  }
  return true;
}

function nameOf(result: unknown): string {
  if (!isFailure(result)) return 'value';
  const value = result.value as { name?: unknown } | undefined;
  return typeof value?.name === 'string' ? value.name : typeof value;
}

function describe(error: unknown): string {
  if (isFailure(error)) return describe(error.value);
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Counts per type of `process.getActiveResourcesInfo()`. */
function activeResources(): Map<string, number> {
  // The process's own stdout and stderr are opened on first use, and a worker thread's start uses them (Node pipes
  // its output there): on a pipe or a TTY that opens a handle, which is the process's, not the soak's. Open them
  // before counting, so the count before the soak has them too.
  void process.stdout;
  void process.stderr;
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** What a round measured. */
interface RoundResult {
  readonly calls: number;
  readonly launched: number;
  readonly leftForStop: number;
  readonly durationMs: number;
  readonly byApi: Record<SoakApi, number>;
  readonly byOutcome: Record<SoakOutcome, number>;
  readonly byWork: Partial<Record<SoakWork, number>>;
  readonly observed: Record<string, number>;
  readonly neverFired: number;
  readonly firedTwice: number;
  readonly mismatches: number;
  readonly mismatchSamples: string[];
  readonly stalled: boolean;
  readonly resourceProblems: string[];
  readonly escapes: number;
  readonly ranUnstarted: number;
  readonly lingered: number;
  readonly poolInFlightBeforeStop: number;
  readonly threadsBeforeStop: number;
  readonly minThreads: number;
  readonly crashed: number;
  readonly cancelled: number;
  readonly timedOut: number;
  readonly coalesced: number;
  readonly batches: number;
  readonly spawned: number;
  readonly liveAfterStop: number;
  readonly stopMs: number;
  readonly stopBoundMs: number;
  readonly graceMs: number;
  /** The round's reactor, to tell after `gc()` whether something still holds it. */
  readonly reactor: WeakRef<Reactor>;
}

/** The thread tasks of a round, loaded by workers from `url`. */
function threadTasks(url: string | URL): Record<string, Task<any[], number>> {
  return {
    value: taskFrom(url, 'soakValue', { route: 'thread' }),
    throw: taskFrom(url, 'soakThrow', { route: 'thread' }),
    autoValue: taskFrom(url, 'soakValue', { kind: 'cpu' }),
    autoThrow: taskFrom(url, 'soakThrow', { kind: 'cpu' }),
    exit: taskFrom(url, 'soakExit', { route: 'thread' }),
    oom: taskFrom(url, 'soakOutOfMemory', { route: 'thread' }),
    spin: taskFrom(url, 'soakSpin', { route: 'thread' }),
    spinTimed: taskFrom(url, 'soakSpin', { route: 'thread', timeoutMs: 2 }),
  };
}

/**
 * One round: `calls` planned calls on a fresh reactor, then `stop()`.
 * @param report - where errors nobody handled are written.
 */
async function soakRound(
  calls: number,
  seed: number,
  options: SoakOptions,
  url: string | URL,
  report: (message: string) => void,
  onProgress: ((done: number, total: number, elapsedMs: number) => void) | undefined,
): Promise<RoundResult> {
  const window = options.window ?? defaultSoakOptions.window;
  const graceMs = options.graceMs ?? defaultSoakOptions.graceMs;
  const stallMs = options.stallMs ?? defaultSoakOptions.stallMs;
  const progressEveryMs = options.progressEveryMs ?? defaultSoakOptions.progressEveryMs;
  const reactor = new Reactor({ policy: soakPolicy, onError: (error, where) => report(`reactor error in ${where}: ${describe(error)}`) });
  const hub = reactor.hub;
  hub.on('error', (error: unknown) => report(`hub error: ${describe(error)}`));
  const t = threadTasks(url);

  // Per-call records live off the JS heap (typed arrays), so the heap check measures the library, not the soak.
  const firings = new Uint8Array(calls);
  const planned = new Uint8Array(calls);
  const pending = new Map<number, Deferred<unknown>>();
  const byApi: Record<SoakApi, number> = { dispatch: 0, deferToThread: 0, deferToGreenlet: 0 };
  const byOutcome: Record<SoakOutcome, number> = { value: 0, throw: 0, crash: 0, cancel: 0, timeout: 0 };
  const byWork: Partial<Record<SoakWork, number>> = {};
  const observed: Record<string, number> = {};
  const mismatchSamples: string[] = [];
  let mismatches = 0;
  let firedTwice = 0;

  const cancelNow = (i: number): boolean => {
    const d = pending.get(i);
    if (d === undefined) return false;
    d.cancel();
    return true;
  };
  const green = new SoakGreenWork(hub, {
    reached: (i, ms = 0) => {
      if (ms === 0) setImmediate(cancelNow, i);
      else setTimeout(cancelNow, ms, i);
    },
    cancelNow,
  });
  reactor.expose(soakStartedName, (i: unknown) => {
    cancelNow(i as number);
  });

  const random = seededRandom(seed);
  let next = 0;
  let inFlight = 0;
  let done = 0;
  let launching = false;
  let stalled = false;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const fired = (i: number, result: unknown): null => {
    if (firings[i]! > 0) {
      firedTwice++;
      return null;
    }
    firings[i] = 1;
    pending.delete(i);
    const name = nameOf(result);
    observed[name] = (observed[name] ?? 0) + 1;
    const outcome = outcomes[planned[i]!]!;
    const ok = outcome === 'value' ? result === i : name === expectedName[outcome];
    if (!ok) {
      mismatches++;
      if (mismatchSamples.length < 5) mismatchSamples.push(`call ${i} (${outcome}) ended with ${isFailure(result) ? describe(result) : String(result)}`);
    }
    inFlight--;
    done++;
    if (done === calls) finish();
    else launch();
    return null; // consumed: the soak handled every failure
  };

  const start = (i: number, call: SoakCall): void => {
    const { api, work } = call;
    const viaThread = (task: Task<any[], number>, ...args: unknown[]): Deferred<unknown> =>
      api === 'dispatch' ? reactor.dispatch(task, ...args) : reactor.deferToThread(task, ...args);
    let d: Deferred<unknown>;
    switch (work) {
      case 'thread-value':
      case 'thread-cancel-queued':
        d = viaThread(t.value!, i);
        break;
      case 'thread-throw':
        d = viaThread(t.throw!, i);
        break;
      case 'thread-exit':
        d = viaThread(t.exit!, i);
        break;
      case 'thread-oom':
        d = viaThread(t.oom!, i);
        break;
      case 'thread-cancel-running':
        d = viaThread(t.spin!, i, true);
        break;
      case 'thread-timeout':
        d = viaThread(t.spinTimed!, i, false);
        break;
      case 'auto-value':
        d = reactor.dispatch(t.autoValue!, i);
        break;
      case 'auto-throw':
        d = reactor.dispatch(t.autoThrow!, i);
        break;
      default:
        d = api === 'dispatch' ? reactor.dispatch(green.task(work), i) : reactor.deferToGreenlet(green.task(work), i);
    }
    if (firings[i] === 0) pending.set(i, d);
    d.addBoth((result: unknown) => fired(i, result));
    if (work === 'thread-cancel-queued' || work === 'green-cancel-unstarted') d.cancel();
  };

  function launch(): void {
    if (launching) return;
    launching = true;
    try {
      while (inFlight < window && next < calls && !stalled) {
        const i = next++;
        const call = planCall(random);
        planned[i] = outcomes.indexOf(call.outcome);
        byApi[call.api]++;
        byOutcome[call.outcome]++;
        byWork[call.work] = (byWork[call.work] ?? 0) + 1;
        inFlight++;
        start(i, call);
      }
    } finally {
      launching = false;
    }
  }

  const began = performance.now();
  let lastDone = -1;
  let lastChange = began;
  const ticker = setInterval(() => {
    const now = performance.now();
    onProgress?.(done, calls, now - began);
    if (done !== lastDone) {
      lastDone = done;
      lastChange = now;
    } else if (now - lastChange > stallMs) {
      stalled = true;
      finish();
    }
  }, progressEveryMs);
  launch();
  if (calls === 0) finish();
  await finished;
  clearInterval(ticker);
  onProgress?.(done, calls, performance.now() - began);

  // Cancelled and timed-out thread tasks may still be running (until they see cancelled()); then idle workers
  // above minThreads leave after idleTimeoutMs.
  const pool = reactor.threadPool;
  await waitFor(() => pool.stats().inFlight === 0, soakPolicy.threads.cancelGraceMs + 5000);
  // A pool starts its workers with its first task: one that never had any (a round of a few calls, none of them on
  // threads) has none, and that is as small as it gets.
  const minThreads = poolStarted(pool.stats()) ? soakPolicy.threads.minThreads : 0;
  await waitFor(() => pool.stats().threads === minThreads, soakPolicy.threads.idleTimeoutMs + 5000);
  const before = pool.stats();

  // Work only stop() can end: accept loops on foreign awaits, a holder of the lock and of a queue item, a supervisor
  // that keeps spawning (also during the grace), thread tasks that spin until cancelled.
  const lastOnes: Array<Deferred<unknown>> = [];
  const lastFirings: number[] = [];
  const track = (d: Deferred<unknown>): void => {
    const k = lastFirings.push(0) - 1;
    d.addBoth(() => {
      lastFirings[k]!++;
      return null;
    });
    lastOnes.push(d);
  };
  for (let k = 0; k < 4; k++) track(reactor.deferToGreenlet(() => green.linger(-1)));
  track(reactor.deferToGreenlet(green.task('green-cancel-lock-holder').fn!, -1));
  track(reactor.deferToGreenlet(green.task('green-cancel-queue-holder').fn!, -1));
  track(
    reactor.deferToGreenlet(function* supervisor(): Generator<unknown, number, unknown> {
      for (let k = 0; k < 500; k++) {
        hub.spawn(() => green.linger(-1));
        yield hub.sleep(Math.max(1, graceMs / 10));
      }
      return -2;
    }),
  );
  for (let k = 0; k < 2; k++) track(reactor.deferToThread(t.spin!, -1, false));
  await nextTurn();
  const stopBegan = performance.now();
  const stopBoundMs = graceMs + stopSlackMs;
  let giveUp: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([
    reactor.stop({ graceMs }).then(() => true),
    new Promise<boolean>((resolve) => (giveUp = setTimeout(resolve, stopBoundMs + 5000, false))),
  ]);
  clearTimeout(giveUp);
  const stopMs = stopped ? performance.now() - stopBegan : -1;
  const after = hub.stats();
  // The lingerers fired once each (stopped: GreenletExit, ReactorStoppedError), like every call.
  const lastNever = lastFirings.filter((n) => n === 0).length;
  const lastTwice = lastFirings.filter((n) => n > 1).length;

  let neverFired = lastNever;
  for (let i = 0; i < next; i++) if (firings[i] === 0) neverFired++;
  return {
    calls,
    launched: next,
    leftForStop: lastFirings.length,
    durationMs: performance.now() - began,
    byApi,
    byOutcome,
    byWork,
    observed,
    neverFired,
    firedTwice: firedTwice + lastTwice,
    mismatches,
    mismatchSamples,
    stalled,
    resourceProblems: green.resourceProblems(),
    escapes: green.escapes,
    ranUnstarted: green.ranUnstarted,
    lingered: green.lingered,
    poolInFlightBeforeStop: before.inFlight,
    threadsBeforeStop: before.threads,
    minThreads,
    crashed: before.crashed,
    cancelled: before.cancelled,
    timedOut: before.timedOut,
    coalesced: before.coalesced,
    batches: before.batches,
    spawned: after.spawned,
    liveAfterStop: after.live,
    stopMs,
    stopBoundMs,
    graceMs,
    reactor: new WeakRef(reactor),
  };
}

/**
 * Runs the fault soak: a warm-up round, then the measured round, then the checks.
 *
 * Never throws for a failed check: each is in the report, `passed` says whether all held.
 *
 * @param options - calls, seed, window, grace, progress callback (see {@link SoakOptions}).
 * @returns the report.
 * @throws TypeError when `calls` is not a non-negative integer.
 * @example
 * ```ts
 * const report = await runSoak({ calls: 5000 });
 * if (!report.passed) console.error(formatSoakReport(report).join('\n'));
 * ```
 */
export async function runSoak(options: SoakOptions = {}): Promise<SoakReport> {
  const calls = options.calls ?? defaultSoakOptions.calls;
  if (!Number.isInteger(calls) || calls < 0) {
    throw new TypeError(`Expected \`calls\` to be a non-negative integer, got \`${safeString(calls)}\` (${typeof calls})`);
  }
  const seed = options.seed ?? defaultSoakOptions.seed;
  const warmupCalls = options.warmupCalls ?? calls;
  const url = options.taskModuleUrl ?? new URL('./soak-tasks.js', import.meta.url);
  const gc = collector();
  const loadStart = loadavg()[0] ?? 0;

  const unhandled: string[] = [];
  const report = (message: string): void => {
    unhandled.push(message);
  };
  const previous = setUnhandledErrorHandler((failure) => report(`unhandled failure in a Deferred: ${describe(failure)}`));
  const onRejection = (reason: unknown): void => report(`unhandled rejection: ${describe(reason)}`);
  process.on('unhandledRejection', onRejection);
  let round: RoundResult;
  let heapBefore: number;
  let heapAfter: number;
  let handlesBefore: Map<string, number>;
  let handlesAfter: Map<string, number>;
  let reactorCollected: boolean;
  try {
    // Handles are compared with the process before the soak did anything (the warm-up must not leave any either);
    // the heap with the process after the warm-up round (module loading, compiled code and caches grown to a
    // round's size are not leaks).
    handlesBefore = activeResources();
    await soakRound(warmupCalls, seed + 1, options, url, report, undefined);
    await collect(gc);
    heapBefore = process.memoryUsage().heapUsed;
    round = await soakRound(calls, seed, options, url, report, options.onProgress);
    await collect(gc);
    heapAfter = process.memoryUsage().heapUsed;
    handlesAfter = activeResources();
    reactorCollected = round.reactor.deref() === undefined;
  } finally {
    process.off('unhandledRejection', onRejection);
    setUnhandledErrorHandler(previous);
  }

  const leftOpen: string[] = [];
  for (const [type, n] of handlesAfter) {
    const was = handlesBefore.get(type) ?? 0;
    if (n > was) leftOpen.push(`${n - was} × ${type}`);
  }
  const heapRatio = heapBefore > 0 ? heapAfter / heapBefore : 1;
  const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`;
  const checks: SoakCheck[] = [
    {
      name: 'every Deferred fired exactly once',
      passed: round.neverFired === 0 && round.firedTwice === 0,
      detail: `${round.launched + round.leftForStop} Deferreds (${round.launched} calls, ${round.leftForStop} left running for stop()): ${round.neverFired} never fired, ${round.firedTwice} fired again`,
    },
    {
      name: 'every call ended as planned',
      passed: round.mismatches === 0 && !round.stalled,
      detail:
        round.mismatches === 0 && !round.stalled
          ? 'value, RangeError, WorkerCrashedError, CancelledError or TimeoutError as drawn'
          : `${round.mismatches} ended otherwise${round.stalled ? `; no call completed for ${options.stallMs ?? defaultSoakOptions.stallMs} ms (stalled)` : ''}${round.mismatchSamples.length > 0 ? `: ${round.mismatchSamples.join('; ')}` : ''}`,
    },
    {
      name: 'nothing reported unhandled',
      passed: unhandled.length === 0,
      detail:
        unhandled.length === 0
          ? 'no unhandled-error report after gc(), no unhandled rejection, no hub or reactor error'
          : `${unhandled.length} reports: ${unhandled.slice(0, 3).join('; ')}`,
    },
    {
      name: 'no lock held, no queue item lost',
      passed: round.resourceProblems.length === 0,
      detail: round.resourceProblems.length === 0 ? 'Lock free, Semaphore tokens and Queue items all back' : round.resourceProblems.join('; '),
    },
    {
      name: 'killed greenlets stopped',
      passed: round.escapes === 0 && round.ranUnstarted === 0 && round.lingered === 0,
      detail: `${round.escapes} went on past a hub wait after their kill, ${round.ranUnstarted} cancelled before starting ran, ${round.lingered} waited out their cap for a kill that never came`,
    },
    {
      name: 'pool back to minThreads',
      passed: round.threadsBeforeStop === round.minThreads && round.poolInFlightBeforeStop === 0,
      detail: `${round.threadsBeforeStop} threads (minThreads ${round.minThreads}), ${round.poolInFlightBeforeStop} tasks in flight`,
    },
    {
      name: 'stop() resolved within its bound',
      passed: round.stopMs >= 0 && round.stopMs <= round.stopBoundMs && round.liveAfterStop === 0,
      detail: `${round.stopMs < 0 ? 'never resolved' : `${Math.round(round.stopMs)} ms`} (bound ${round.stopBoundMs} ms = graceMs ${round.graceMs} + ${stopSlackMs}); ${round.liveAfterStop} greenlets alive after it`,
    },
    {
      name: 'heap after gc() within 10 % of before',
      passed: heapRatio <= 1.1,
      detail: `${mb(heapBefore)} after a warm-up round of ${warmupCalls} calls → ${mb(heapAfter)} (×${heapRatio.toFixed(3)}); the stopped reactor was ${reactorCollected ? '' : 'not '}collected`,
    },
    {
      name: 'no handle left open',
      passed: leftOpen.length === 0,
      detail: leftOpen.length === 0 ? `active resources after as before (${[...handlesAfter.keys()].join(', ') || 'none'})` : `left open: ${leftOpen.join(', ')}`,
    },
  ];
  const ratios = Object.fromEntries(
    Object.entries(round.byOutcome).map(([k, n]) => [k, calls === 0 ? 0 : n / calls]),
  ) as Record<SoakOutcome, number>;
  return {
    schema: soakReportSchema,
    date: new Date().toISOString(),
    calls,
    seed,
    durationMs: round.durationMs,
    callsPerSec: round.durationMs > 0 ? (calls / round.durationMs) * 1000 : 0,
    machine: { cpus: availableParallelism(), loadStart, loadEnd: loadavg()[0] ?? 0, node: process.version },
    planned: { byApi: round.byApi, byOutcome: round.byOutcome, byWork: round.byWork },
    ratios,
    observed: round.observed,
    stop: { graceMs: round.graceMs, boundMs: round.stopBoundMs, ms: round.stopMs },
    heap: { beforeBytes: heapBefore, afterBytes: heapAfter, ratio: heapRatio },
    pool: {
      minThreads: round.minThreads,
      threadsBeforeStop: round.threadsBeforeStop,
      crashed: round.crashed,
      cancelled: round.cancelled,
      timedOut: round.timedOut,
      coalesced: round.coalesced,
      batches: round.batches,
    },
    hub: { spawned: round.spawned, liveAfterStop: round.liveAfterStop, escapes: round.escapes },
    checks,
    passed: checks.every((c) => c.passed),
  };
}
