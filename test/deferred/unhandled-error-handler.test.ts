import { afterEach, describe, expect, it } from '@jest/globals';
import { Deferred, observe } from '../../src/deferred/deferred.js';
import { Failure } from '../../src/deferred/failure.js';
import {
  defaultUnhandledErrorHandler,
  setUnhandledErrorHandler,
  type UnhandledErrorHandler,
} from '../../src/deferred/unhandled-error-handler.js';
import { collectUntil } from '../helpers/collect-garbage.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('These tests need node --expose-gc (npm run jest passes it)');

/** Collect enough rounds that any pending finalization callbacks would have run. */
async function collectFully(rounds = 10): Promise<void> {
  await collectUntil(() => false, rounds);
}

function capture(): { reports: Failure[]; restore: () => void } {
  const reports: Failure[] = [];
  const previous = setUnhandledErrorHandler((f) => reports.push(f));
  return { reports, restore: () => setUnhandledErrorHandler(previous) };
}

// Each scenario builds its Deferreds in a separate function so no local variable keeps them reachable.
function dropFailed(message: string): void {
  const d = new Deferred<number>();
  d.addCallback((n) => n + 1);
  d.errback(new Error(message));
}

function dropFailedWithSelfReference(message: string): void {
  const d = new Deferred<number>();
  // The error is created in a frame whose receiver and locals hold the Deferred.
  const make = function (this: Deferred<number>): Error {
    return new Error(message);
  };
  d.errback(make.call(d));
}

function dropHandled(message: string): void {
  const d = new Deferred<number>();
  d.addErrback(() => 0);
  d.errback(new Error(message));
}

// These return only whether the chain got where the scenario needs it: returning a Deferred would keep the
// Deferreds reachable, and a Deferred that is never collected can never be reported, handled or not.
function dropHandedOver(message: string): boolean {
  const inner = new Deferred<number>();
  inner.errback(new Error(message));
  const outer = new Deferred<number>();
  outer.addCallback(() => inner);
  outer.addErrback(() => 'recovered');
  outer.callback(1);
  return outer.called;
}

function dropChainedToPending(message: string): boolean {
  const bad = new Deferred<number>();
  const good = new Deferred<number>();
  bad.errback(new Error(message));
  bad.addErrback(() => good); // the failure is replaced by a wait on `good`, which never fires
  return good.called;
}

function dropObserved(message: string): void {
  const d = new Deferred<number>();
  d.errback(new Error(message));
  observe(d, () => undefined);
}

async function dropAwaited(message: string): Promise<void> {
  const d = new Deferred<number>();
  d.errback(new Error(message));
  await d.then(undefined, () => undefined);
}

async function dropAwaitedBeforeFailing(message: string): Promise<void> {
  const d = new Deferred<number>();
  const p = d.then(undefined, () => undefined);
  d.errback(new Error(message));
  await p;
}

// A failure that reaches a Deferred its caller paused: no handler may run, and the Deferred is then dropped.
function dropErrbackedWhilePaused(message: string): void {
  const d = new Deferred<number>();
  d.addCallback((n) => n + 1);
  d.pause();
  d.errback(new Error(message));
}

function dropRejectedWhilePaused(message: string): () => void {
  let reject!: (e: unknown) => void;
  const thenable = {
    then(_onFulfilled: unknown, onRejected: (e: unknown) => void): void {
      reject = onRejected;
    },
  };
  const d = new Deferred<number>();
  d.addCallback(() => thenable);
  d.callback(1);
  d.pause();
  return () => reject(new Error(message));
}

function dropHandledAfterUnpause(message: string): void {
  const d = new Deferred<number>();
  d.pause();
  d.errback(new Error(message));
  d.addErrback(() => 0);
  d.unpause();
}

// A cancellation's Failure reads its traceback only when asked (`cancelledFailure`); the error's captured frames
// include `cancel()` on the Deferred, so a registry holding an unread one would keep the Deferred alive.
function dropCancelledUnhandled(): void {
  const d = new Deferred<number>(() => undefined);
  d.addCallback((n) => n + 1);
  cancelWhereTheTracebackShowsIt(d);
}

function cancelWhereTheTracebackShowsIt(d: Deferred<number>): void {
  d.cancel();
}

describe('setUnhandledErrorHandler()', () => {
  let restore: () => void = () => undefined;
  afterEach(() => restore());

  it('reports a failure left at the end of a collected chain once, with its traceback', async () => {
    const c = capture();
    restore = c.restore;
    dropFailed('left unhandled');
    await collectUntil(() => c.reports.some((f) => f.getErrorMessage() === 'left unhandled'));
    await collectFully(3);
    const mine = c.reports.filter((f) => f.getErrorMessage() === 'left unhandled');
    expect(mine).toHaveLength(1);
    expect(mine[0]?.getTraceback()).toContain('dropFailed');
  });

  it("reports a cancelled Deferred dropped unhandled once, with the traceback of cancel()'s caller", async () => {
    const c = capture();
    restore = c.restore;
    const mine = (): Failure[] => c.reports.filter((f) => f.getTraceback().includes('cancelWhereTheTracebackShowsIt'));
    dropCancelledUnhandled();
    await collectUntil(() => mine().length > 0);
    await collectFully(3);
    expect(mine()).toHaveLength(1);
    expect(mine()[0]!.getTraceback()).toMatch(/^CancelledError: The Deferred was cancelled\n/);
  });

  it('reports even when the error was created in a frame that referenced the Deferred', async () => {
    const c = capture();
    restore = c.restore;
    dropFailedWithSelfReference('self referencing');
    await collectUntil(() => c.reports.some((f) => f.getErrorMessage() === 'self referencing'));
    expect(c.reports.map((f) => f.getErrorMessage())).toContain('self referencing');
  });

  it('does not report a failure an errback handled, a hand-over moved, a chained wait replaced, or then()/observe() observed', async () => {
    const c = capture();
    restore = c.restore;
    dropHandled('handled one');
    expect(dropHandedOver('handed over')).toBe(true);
    expect(dropChainedToPending('chained away')).toBe(false);
    await dropAwaited('awaited one');
    await dropAwaitedBeforeFailing('awaited before failing');
    dropObserved('observed one');
    dropFailed('control');
    await collectUntil(() => c.reports.some((f) => f.getErrorMessage() === 'control'));
    await collectFully(3);
    const messages = c.reports.map((f) => f.getErrorMessage());
    expect(messages).toContain('control');
    expect(messages).not.toContain('handled one');
    expect(messages).not.toContain('handed over');
    expect(messages).not.toContain('awaited one');
    expect(messages).not.toContain('awaited before failing');
    expect(messages).not.toContain('chained away');
    expect(messages).not.toContain('observed one');
  });

  it.each([
    ['a failure that reached a paused Deferred', 'failed while paused', dropErrbackedWhilePaused],
    [
      'a rejection a paused Deferred got from the thenable it waited on',
      'rejected while paused',
      (message: string) => dropRejectedWhilePaused(message)(),
    ],
  ])('reports once %s that was then dropped', async (_name, message, drop) => {
    const c = capture();
    restore = c.restore;
    drop(message);
    await collectUntil(() => c.reports.some((f) => f.getErrorMessage() === message));
    await collectFully(3);
    expect(c.reports.filter((f) => f.getErrorMessage() === message)).toHaveLength(1);
  });

  it('does not report a failure that reached a paused Deferred and was handled after unpause()', async () => {
    const c = capture();
    restore = c.restore;
    dropHandledAfterUnpause('handled after unpause');
    dropErrbackedWhilePaused('paused control'); // proves a collection ran that would have reported it
    await collectUntil(() => c.reports.some((f) => f.getErrorMessage() === 'paused control'));
    await collectFully(3);
    expect(c.reports.map((f) => f.getErrorMessage())).not.toContain('handled after unpause');
  });

  it('returns the previous handler, and null restores the default', () => {
    const mine: UnhandledErrorHandler = () => undefined;
    const previous = setUnhandledErrorHandler(mine);
    expect(setUnhandledErrorHandler(null)).toBe(mine);
    expect(setUnhandledErrorHandler(previous)).toBe(defaultUnhandledErrorHandler);
  });

  it('rejects a handler that is not a function', () => {
    expect(() => setUnhandledErrorHandler(42 as never)).toThrow(TypeError);
  });

  it('by default writes the traceback with console.error', () => {
    const lines: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => lines.push(...args);
    try {
      defaultUnhandledErrorHandler(new Failure(new Error('to the console')));
    } finally {
      console.error = original;
    }
    expect(String(lines[0])).toMatch(/Unhandled error in Deferred:\n.*Error: to the console/);
  });
});
