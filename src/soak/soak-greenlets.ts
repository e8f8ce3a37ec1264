/**
 * The fault soak's green work: the greenlet functions behind the `green-*` calls, over one hub's primitives.
 *
 * What they exercise (SPEC §6.1): async greenlets that await foreign things (a real timer, a file read) between hub
 * switches and are killed meanwhile; generator greenlets that hold a `Lock`/`Semaphore` token or a `Queue` item
 * when killed (their `finally` gives it back), and waiters killed just after a token or an item was handed to them
 * (the primitive must pass it on). Each greenlet checks, after every hub wait, that it was not killed before: a
 * killed greenlet whose hub wait still resolved has escaped its kill, and is counted.
 *
 * The timers here are deliberately the global ones: they are the foreign awaits under test.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import type { Greenlet } from '../green/greenlet.js';
import type { Hub } from '../green/hub.js';
import { Lock } from '../green/lock.js';
import { Queue } from '../green/queue.js';
import { Semaphore } from '../green/semaphore.js';
import { defineTask, type Task } from '../task/task.js';
import type { SoakWork } from './soak-plan.js';

/** How long a greenlet that only a kill can end waits at most (so a lost kill cannot hang the soak). */
const lingerCapMs = 10_000;
/** How many foreign-await rounds a looping greenlet makes at most. */
const loopCap = 200;
/** A file to read: this module itself (present wherever the soak runs). */
const someFile = fileURLToPath(import.meta.url);

/** What the green work reports to the soak and asks of it. */
export interface SoakGreenHooks {
  /** The greenlet of call `i` reached the wait it is to be killed in: cancel that call after `ms` (0: next turn). */
  reached(i: number, ms?: number): void;
  /** Cancel call `i` now (its Deferred); returns false when it had already fired. */
  cancelNow(i: number): boolean;
}

/** Tokens and items the green work starts with; at the end they must all be back. */
export const soakGreenResources = Object.freeze({ semaphoreTokens: 2, queueItems: 2 });

/** The green side of a soak round: its primitives, the functions per kind of work, and what went wrong. */
export class SoakGreenWork {
  /** A lock the `lock` work takes turns on. */
  readonly lock: Lock;
  /** A semaphore with {@link soakGreenResources}`.semaphoreTokens` tokens. */
  readonly semaphore: Semaphore;
  /** A queue holding {@link soakGreenResources}`.queueItems` items, taken and put back. */
  readonly queue: Queue<number>;
  /** Killed greenlets that went on past a hub wait (each counted once). */
  escapes = 0;
  /** Greenlets cancelled before they started that ran anyway. */
  ranUnstarted = 0;
  /** Greenlets whose wait for a kill ran out (the kill never came). */
  lingered = 0;
  readonly #hub: Hub;
  readonly #hooks: SoakGreenHooks;
  /** Call indexes of doomed waiters, per primitive, oldest first: the next release or put cancels the oldest. */
  readonly #doomed = new Map<object, number[]>();
  readonly #tasks = new Map<SoakWork, Task<[number], number>>();

  /**
   * @param hub - the hub the greenlets and primitives belong to.
   * @param hooks - how the work asks the soak to cancel calls.
   */
  constructor(hub: Hub, hooks: SoakGreenHooks) {
    this.#hub = hub;
    this.#hooks = hooks;
    this.lock = new Lock(hub);
    this.semaphore = new Semaphore(soakGreenResources.semaphoreTokens, hub);
    this.queue = new Queue<number>(undefined, hub);
    for (let k = 0; k < soakGreenResources.queueItems; k++) this.queue.putNowait(k);
    const url = import.meta.url;
    const green = (name: SoakWork, fn: (i: number) => unknown, timeoutMs?: number): void => {
      const options = timeoutMs === undefined ? { route: 'green' as const } : { route: 'green' as const, timeoutMs };
      this.#tasks.set(name, defineTask(url, name, fn as (i: number) => number, options));
    };
    green('green-io', (i) => this.#io(i));
    green('green-lock', (i) => this.#hold(i, i % 2 === 0 ? this.lock : this.semaphore, 'value'));
    green('green-queue', (i) => this.#take(i, 'value'));
    green('green-throw-io', (i) => this.#throwAfterIo(i));
    green('green-throw-generator', (i) => this.#throwAfterYield(i));
    green('green-cancel-unstarted', (i) => this.#unstarted(i));
    green('green-cancel-io', (i) => this.#loopIo(i, true));
    green('green-cancel-lock-waiter', (i) => this.#hold(i, i % 2 === 0 ? this.lock : this.semaphore, 'doomed-waiter'));
    green('green-cancel-lock-holder', (i) => this.#hold(i, i % 2 === 0 ? this.lock : this.semaphore, 'doomed-holder'));
    green('green-cancel-queue-waiter', (i) => this.#take(i, 'doomed-waiter'));
    green('green-cancel-queue-holder', (i) => this.#take(i, 'doomed-holder'));
    green('green-timeout-sleep', (i) => this.#sleepLong(i), 3);
    green('green-timeout-io', (i) => this.#loopIo(i, false), 3);
  }

  /**
   * The Task (route `green`) for a kind of green work.
   * @param work - a `green-*` work.
   * @returns its task.
   * @throws Error for work that is not green.
   */
  task(work: SoakWork): Task<[number], number> {
    const task = this.#tasks.get(work);
    if (task === undefined) throw new Error(`no green work named ${work}`);
    return task;
  }

  /** Problems with the primitives now (a token held, an item missing); empty when all are back. */
  resourceProblems(): string[] {
    const problems: string[] = [];
    if (this.lock.locked()) problems.push('the Lock is still held');
    if (this.semaphore.counter !== soakGreenResources.semaphoreTokens) {
      problems.push(`the Semaphore has ${this.semaphore.counter} of ${soakGreenResources.semaphoreTokens} tokens`);
    }
    if (this.queue.qsize() !== soakGreenResources.queueItems) {
      problems.push(`the Queue holds ${this.queue.qsize()} of ${soakGreenResources.queueItems} items`);
    }
    return problems;
  }

  /**
   * A greenlet for the end of the soak: loops on foreign awaits and hub switches until killed (as an accept loop).
   * @param i - a label.
   * @returns what {@link SoakGreenWork} functions return when not killed.
   */
  linger(i: number): Promise<number> {
    return this.#loopIo(i, false);
  }

  /** After a hub wait: a greenlet that was killed and still got here escaped its kill. */
  #escaped(g: Greenlet<unknown> | null): boolean {
    if (g?.signal.aborted !== true) return false;
    this.escapes++;
    return true;
  }

  async #io(i: number): Promise<number> {
    const g = this.#hub.getCurrent();
    await delay(1);
    await readFile(someFile);
    await this.#hub.cooperate();
    if (this.#escaped(g)) return -3;
    return i;
  }

  async #loopIo(i: number, announce: boolean): Promise<number> {
    const g = this.#hub.getCurrent();
    if (announce) this.#hooks.reached(i);
    const end = Date.now() + lingerCapMs;
    for (let k = 0; k < loopCap && Date.now() < end; k++) {
      await delay(2);
      await readFile(someFile);
      await this.#hub.cooperate();
      if (this.#escaped(g)) return -3;
    }
    this.lingered++;
    return -2;
  }

  async #throwAfterIo(i: number): Promise<never> {
    const g = this.#hub.getCurrent();
    await delay(1);
    await this.#hub.cooperate();
    if (this.#escaped(g)) throw new Error(`soak call ${i} escaped its kill`);
    throw new RangeError(`soak call ${i} throws`);
  }

  *#throwAfterYield(i: number): Generator<unknown, never, unknown> {
    yield;
    throw new RangeError(`soak call ${i} throws`);
  }

  *#unstarted(i: number): Generator<unknown, number, unknown> {
    this.ranUnstarted++;
    yield;
    return i;
  }

  *#sleepLong(i: number): Generator<unknown, number, unknown> {
    const g = this.#hub.getCurrent();
    yield this.#hub.sleep(lingerCapMs);
    if (this.#escaped(g)) return -3;
    this.lingered++;
    return i;
  }

  /** What a holder does with its token or item: a short sleep (`value`), or linger until killed (`doomed-*`). */
  *#useWhileHeld(i: number, mode: 'value' | 'doomed-waiter' | 'doomed-holder', g: ReturnType<Hub['getCurrent']>): Generator<unknown, number, unknown> {
    if (this.#escaped(g)) return -3;
    if (mode === 'value') {
      yield this.#hub.sleep(i % 3 === 0 ? 1 : 0);
      if (this.#escaped(g)) return -3;
      return i;
    }
    if (mode === 'doomed-holder') this.#hooks.reached(i);
    yield this.#hub.sleep(lingerCapMs);
    if (this.#escaped(g)) return -3;
    this.lingered++;
    return -2;
  }

  /** Hold a token of `prim` across a hub sleep; `doomed-*` wait to be killed as a waiter or as the holder. */
  *#hold(i: number, prim: Lock | Semaphore, mode: 'value' | 'doomed-waiter' | 'doomed-holder'): Generator<unknown, number, unknown> {
    const g = this.#hub.getCurrent();
    if (mode === 'doomed-waiter') this.#doom(prim, i);
    yield prim.acquire();
    try {
      return yield* this.#useWhileHeld(i, mode, g);
    } finally {
      prim.release();
      this.#killDoomed(prim);
    }
  }

  /** Take a queue item across a hub sleep and put it back; `doomed-*` wait to be killed as a getter or as the holder. */
  *#take(i: number, mode: 'value' | 'doomed-waiter' | 'doomed-holder'): Generator<unknown, number, unknown> {
    const g = this.#hub.getCurrent();
    if (mode === 'doomed-waiter') this.#doom(this.queue, i);
    const item = (yield this.queue.get()) as number;
    try {
      return yield* this.#useWhileHeld(i, mode, g);
    } finally {
      this.queue.putNowait(item);
      this.#killDoomed(this.queue);
    }
  }

  /**
   * Mark call `i` as a doomed waiter of `prim`: the next release of `prim` kills it right after handing on (the token
   * or item may have just gone to it), else a timer does.
   */
  #doom(prim: object, i: number): void {
    let list = this.#doomed.get(prim);
    if (list === undefined) this.#doomed.set(prim, (list = []));
    list.push(i);
    this.#hooks.reached(i, 5);
  }

  #killDoomed(prim: object): void {
    const list = this.#doomed.get(prim);
    for (let i = list?.shift(); i !== undefined; i = list?.shift()) {
      if (this.#hooks.cancelNow(i)) return;
    }
  }
}
