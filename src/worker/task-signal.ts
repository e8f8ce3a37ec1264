/**
 * A running task's `AbortSignal`, driven by its cancellation slot in shared memory.
 *
 * An `AbortSignal` normally learns of an abort through the event loop, which a synchronous CPU loop never
 * reaches. So the signal's `aborted`, `reason` and `throwIfAborted` first poll the slot (one atomic load) and
 * abort the controller when the main thread set the cancelled bit; while an async task awaits, an
 * `Atomics.waitAsync` on the slot fires the `'abort'` event without any polling timer.
 *
 * @module
 */
import { getEventListeners } from 'node:events';
import { CancelledError } from '../errors.js';
import { slotCancelledBit, slotWaiterBit } from '../threads/wire.js';
import { isTaskCancelled, workerState, type RunningTask } from './worker-state.js';

// The native accessors, called with `.call(signal)` once a signal's own `aborted`/`reason` shadow them.
const abortedDescriptor = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted');
const reasonDescriptor = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'reason');
// eslint-disable-next-line @typescript-eslint/unbound-method -- a native accessor, only ever called with .call(signal)
const abortedGetter = abortedDescriptor!.get as (this: AbortSignal) => boolean;
// eslint-disable-next-line @typescript-eslint/unbound-method -- likewise
const reasonGetter = reasonDescriptor!.get as (this: AbortSignal) => unknown;

type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };

function abortTask(task: RunningTask): void {
  const controller = task.controller;
  if (controller !== undefined && !abortedGetter.call(controller.signal)) {
    controller.abort(new CancelledError(`Task \`${task.name}\` was cancelled`));
  }
}

/** A controller whose signal follows whichever task currently owns it. */
interface SignalCell {
  readonly controller: AbortController;
  readonly signal: AbortSignal;
  owner: RunningTask;
}

let spare: SignalCell | undefined;

function newCell(task: RunningTask): SignalCell {
  const controller = new AbortController();
  const s = controller.signal;
  const cell: SignalCell = { controller, signal: s, owner: task };
  const poll = (): void => {
    const owner = cell.owner;
    if (owner.live && !abortedGetter.call(s) && isTaskCancelled(owner)) abortTask(owner);
  };
  Object.defineProperties(s, {
    aborted: {
      get: () => {
        poll();
        return abortedGetter.call(s);
      },
    },
    reason: {
      get: () => {
        poll();
        return reasonGetter.call(s);
      },
    },
    throwIfAborted: {
      value: () => {
        poll();
        if (abortedGetter.call(s)) throw reasonGetter.call(s);
      },
    },
  });
  return cell;
}

/**
 * The signal of `task`: its own, made on the first look (an `AbortController` whose signal polls the task's slot).
 *
 * Why reuse: an `AbortController` per task is a measurable share of a small task's cost (allocation and the GC
 * of an EventTarget). A signal that never aborted and never got a listener is indistinguishable from a fresh one,
 * so once its task ended it passes to the next task that looks; once aborted, or listened to, or while its task
 * still runs (a worker may run several at once), the next task gets a new one.
 * @param task - a task running in this worker.
 * @returns its signal.
 * @internal
 */
export function taskSignal(task: RunningTask): AbortSignal {
  const own = task.controller;
  if (own !== undefined) return own.signal;
  let cell = spare;
  if (
    cell === undefined ||
    cell.owner.live ||
    abortedGetter.call(cell.signal) ||
    cell.signal.onabort !== null ||
    getEventListeners(cell.signal, 'abort').length > 0
  ) {
    cell = newCell(task);
    spare = cell;
  }
  cell.owner = task;
  task.controller = cell.controller;
  return cell.signal;
}

/**
 * While `task` is live, waits (without blocking) on its slot and aborts its signal when it is cancelled.
 *
 * Marks the slot with the waiter bit, so the main thread notifies it on cancel and on release; a wake-up after the
 * task ended is ignored.
 * @param task - an async task that is now awaiting.
 * @internal
 */
export function watchTaskSlot(task: RunningTask): void {
  const state = workerState();
  const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
  if (state === undefined || task.slot < 0 || waitAsync === undefined) return;
  const { slots } = state;
  const watch = (): void => {
    // Only while the task is live: the main thread releases (and may reuse) the slot only after the task replied.
    if (!task.live) return;
    const value = Atomics.or(slots, task.slot, slotWaiterBit) | slotWaiterBit;
    if ((value & slotCancelledBit) !== 0) {
      abortTask(task);
      return;
    }
    const waiting = waitAsync(slots, task.slot, value);
    if (waiting.async) void waiting.value.then(watch);
    else watch();
  };
  watch();
}
