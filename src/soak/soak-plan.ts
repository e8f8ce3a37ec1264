/**
 * The fault soak's plan: which API each call goes through, how it should end and what it does on the way.
 *
 * Drawn from a seeded PRNG, so the same seed gives the same counts on every machine (the timing of a run
 * varies; what was asked of it does not).
 *
 * @module
 */

/** How a call is meant to end. */
export type SoakOutcome = 'value' | 'throw' | 'crash' | 'cancel' | 'timeout';

/** The reactor method a call goes through. */
export type SoakApi = 'dispatch' | 'deferToThread' | 'deferToGreenlet';

/**
 * What a call does.
 *
 * `thread-*` run in a worker; `auto-*` go wherever the policy's `auto` route sends them; `green-*` run as greenlets:
 * `io` awaits a real timer and a file read (foreign awaits) between hub switches, `lock`/`queue` hold a `Lock` or
 * `Semaphore` token / a `Queue` item across a hub sleep; the `cancel-*` variants are cancelled before they start,
 * during a foreign await, while waiting for a token or an item (often just after one was handed to them), or while
 * holding one; the `timeout-*` variants outlast their task's `timeoutMs` in a hub sleep or in foreign awaits.
 */
export type SoakWork =
  | 'thread-value'
  | 'thread-throw'
  | 'thread-exit'
  | 'thread-oom'
  | 'thread-cancel-queued'
  | 'thread-cancel-running'
  | 'thread-timeout'
  | 'auto-value'
  | 'auto-throw'
  | 'green-io'
  | 'green-lock'
  | 'green-queue'
  | 'green-throw-io'
  | 'green-throw-generator'
  | 'green-cancel-unstarted'
  | 'green-cancel-io'
  | 'green-cancel-lock-waiter'
  | 'green-cancel-lock-holder'
  | 'green-cancel-queue-waiter'
  | 'green-cancel-queue-holder'
  | 'green-timeout-sleep'
  | 'green-timeout-io';

/** One planned call. */
export interface SoakCall {
  /** The reactor method it goes through. */
  readonly api: SoakApi;
  /** How it must end. */
  readonly outcome: SoakOutcome;
  /** What it does. */
  readonly work: SoakWork;
}

/**
 * A seeded pseudo-random generator (mulberry32): fast, 32-bit state, good enough to spread a plan.
 * @param seed - any integer.
 * @returns a function giving numbers in [0, 1).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

const threadWork: Record<Exclude<SoakOutcome, 'crash'>, readonly SoakWork[]> = {
  value: ['thread-value'],
  throw: ['thread-throw'],
  cancel: ['thread-cancel-queued', 'thread-cancel-running'],
  timeout: ['thread-timeout'],
};

const greenWork: Record<Exclude<SoakOutcome, 'crash'>, readonly SoakWork[]> = {
  value: ['green-io', 'green-lock', 'green-queue'],
  throw: ['green-throw-io', 'green-throw-generator'],
  cancel: [
    'green-cancel-unstarted',
    'green-cancel-io',
    'green-cancel-lock-waiter',
    'green-cancel-lock-holder',
    'green-cancel-queue-waiter',
    'green-cancel-queue-holder',
  ],
  timeout: ['green-timeout-sleep', 'green-timeout-io'],
};

/**
 * Draws one call: 10 % throw, 1 % crash their worker (half `process.exit`, half out of memory), 5 % are cancelled,
 * 2 % time out, the rest return a value; the API is drawn evenly (a crash only goes where a worker runs it).
 * @param random - the seeded generator.
 * @returns the call.
 */
export function planCall(random: () => number): SoakCall {
  const r = random() * 100;
  const outcome: SoakOutcome = r < 10 ? 'throw' : r < 11 ? 'crash' : r < 16 ? 'cancel' : r < 18 ? 'timeout' : 'value';
  if (outcome === 'crash') {
    const api: SoakApi = random() < 0.5 ? 'deferToThread' : 'dispatch';
    return { api, outcome, work: random() < 0.5 ? 'thread-exit' : 'thread-oom' };
  }
  const api = pick<SoakApi>(random, ['dispatch', 'deferToThread', 'deferToGreenlet']);
  if (api === 'deferToThread') return { api, outcome, work: pick(random, threadWork[outcome]) };
  if (api === 'deferToGreenlet') return { api, outcome, work: pick(random, greenWork[outcome]) };
  // dispatch: half to threads (value and throw half of those through `auto`), half to greenlets (by the task's route)
  if (random() < 0.5) {
    if ((outcome === 'value' || outcome === 'throw') && random() < 0.5) return { api, outcome, work: outcome === 'value' ? 'auto-value' : 'auto-throw' };
    return { api, outcome, work: pick(random, threadWork[outcome]) };
  }
  return { api, outcome, work: pick(random, greenWork[outcome]) };
}

/**
 * The whole plan of a soak.
 * @param calls - how many calls.
 * @param seed - the PRNG seed.
 * @returns the calls, in dispatch order.
 */
export function planSoak(calls: number, seed: number): SoakCall[] {
  const random = seededRandom(seed);
  const plan: SoakCall[] = [];
  for (let i = 0; i < calls; i++) plan.push(planCall(random));
  return plan;
}
