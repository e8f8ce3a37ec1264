import { describe, expect, it } from '@jest/globals';
import { CancelledError, TimeoutError } from '../../src/errors.js';
import type { CallDeadline } from '../../src/context/call-deadline.js';
import { RemoteCall, type RemoteCallHost } from '../../src/remote-bullmq/remote-call.js';
import { RemoteCounters } from '../../src/remote-bullmq/remote-counters.js';
import { encodeError } from '../../src/remote-bullmq/remote-wire.js';
import { serializeError } from '../../src/threads/error-transport.js';
import { Clock } from '../../src/time/clock.js';
import * as fx from '../fixtures/remote-tasks.js';
import { failureOf } from '../threads/thread-test-kit.js';

/** A backend that only records: no engine, no Redis (the outcome is handed to the call by the test). */
function fakeHost(): RemoteCallHost {
  let id = 0;
  return { counters: new RemoteCounters(), submit: () => undefined, abort: () => undefined, forget: () => undefined, newJobId: () => `job-${++id}`, taskReturned: () => Promise.resolve(false) };
}

const limit = (timeoutMs: number): CallDeadline => ({ timeoutMs, wallAt: Date.now() + timeoutMs, fromScope: false, onWallClock: true });

/** A call of a task with `limit`, sent: its job id is `job-1`. */
function sentCall(host: RemoteCallHost, clock: Clock, callLimit: CallDeadline | undefined): RemoteCall {
  const call = new RemoteCall(host, fx.spinUntilCancelled, { args: '', context: undefined }, clock, undefined, callLimit);
  call.start();
  return call;
}

const timesZero = { w: 0, r: 0 };

describe('RemoteCall', () => {
  describe('a host that reports the limit before the caller\'s timer fires', () => {
    it('counts its TimeoutError as the call timing out, not as a failure, and the timer then does nothing', async () => {
      const host = fakeHost();
      const clock = new Clock();
      const call = sentCall(host, clock, limit(300));
      call.settle('job-1', { s: 'error', e: encodeError(serializeError(new TimeoutError('stopped at its deadline'))), ...timesZero }, 'event');
      expect(await failureOf(call.deferred)).toBeInstanceOf(TimeoutError);
      clock.advance(300);
      expect(host.counters).toMatchObject({ timedOut: 1, failed: 0 });
    });

    it('counts a job skipped at its deadline as the call timing out', async () => {
      const host = fakeHost();
      const call = sentCall(host, new Clock(), limit(300));
      call.settle('job-1', { s: 'skipped', why: 'deadline' }, 'event');
      expect(await failureOf(call.deferred)).toBeInstanceOf(TimeoutError);
      expect(host.counters).toMatchObject({ timedOut: 1, failed: 0 });
    });
  });

  it('counts a TimeoutError the task itself threw, on a call with no limit, as a failure', async () => {
    const host = fakeHost();
    const call = sentCall(host, new Clock(), undefined);
    call.settle('job-1', { s: 'error', e: encodeError(serializeError(new TimeoutError('the task\'s own'))), ...timesZero }, 'event');
    expect(await failureOf(call.deferred)).toBeInstanceOf(TimeoutError);
    expect(host.counters).toMatchObject({ timedOut: 0, failed: 1 });
  });

  it('counts a job skipped as cancelled on its host as a failure with CancelledError', async () => {
    const host = fakeHost();
    const call = sentCall(host, new Clock(), limit(300));
    call.settle('job-1', { s: 'skipped', why: 'cancelled' }, 'event');
    expect(await failureOf(call.deferred)).toBeInstanceOf(CancelledError);
    expect(host.counters).toMatchObject({ timedOut: 0, failed: 1 });
  });

  it('counts its own timer\'s timeout once, and drops the host\'s TimeoutError arriving after it', async () => {
    const host = fakeHost();
    const clock = new Clock();
    const call = sentCall(host, clock, limit(300));
    clock.advance(300);
    expect(await failureOf(call.deferred)).toBeInstanceOf(TimeoutError);
    call.settle('job-1', { s: 'error', e: encodeError(serializeError(new TimeoutError('late'))), ...timesZero }, 'event');
    expect(host.counters).toMatchObject({ timedOut: 1, failed: 0 });
  });
});
