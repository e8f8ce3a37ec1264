/**
 * `whenRouteLetsGo`: whether a call whose Deferred fired still runs on its route, and a way to hear when it stops.
 *
 * Why: cancelling a call (or its timeout, or its deadline) fails its Deferred at once, but what it started may run
 * on: a thread task deaf to its signal runs in its worker until it ends or the cancel grace kills the worker; a
 * killed greenlet runs its `finally` blocks, or an async function awaits what it awaited, until it dies; a remote job
 * runs on its host until its answer comes (asked of the backend, `RemoteBackend.whenJobEnds`). The gates
 * that bound what runs (a rule's `maxConcurrent`, the crash budget's) keep such a call's place until then, so no more
 * than their limit of calls hold workers or greenlets at once, while the caller still gets its error at once. The
 * reactor hands this to its dispatcher (`DispatchTargets.runsOn`): the policy layer knows neither threads nor
 * greenlets.
 *
 * @module
 */
import type { Deferred } from '../deferred/deferred.js';
import { GreenletCall } from '../green/greenlet-call.js';
import type { RunsOn } from '../policy/admission-gate.js';
import { whenWorkerLetsGo } from '../threads/thread-task-run.js';
import type { RemoteBackend } from './remote-backend.js';

/**
 * The `free`s waiting on each thread run's Deferred. A run tells one listener when its worker lets go of it
 * (`whenWorkerLetsGo` keeps one per run), but one call can pass two gates (a rule's bulkhead, then the crash budget's)
 * that each keep a place for it: the first listener hears for all of them. Without this the second gate's listener
 * replaced the first's, whose place was then never given back (a crash budget's gate held a place for ever, and every
 * later call of the task waited behind it).
 */
const waitingOnRun = new WeakMap<Deferred<unknown>, Array<() => void>>();

/**
 * Calls `free` once the work behind `d`, which has fired, no longer runs: a thread run's worker let go of its task
 * (it ended, or the worker died), a greenlet died. Several callers may wait on one `d`: each is called once.
 * @param d - a route's Deferred, fired (only thread runs and greenlet calls can run on after that).
 * @param free - called once, later (it must not throw).
 * @returns true when the work still runs (`free` will be called); false when nothing of it runs (`free` is not called).
 */
export function whenRouteLetsGo(d: Deferred<unknown>, free: () => void): boolean {
  const call = GreenletCall.of(d);
  if (call !== undefined) {
    const g = call.greenlet;
    if (g === null || g.dead) return false;
    g.link(free);
    return true;
  }
  const waiting = waitingOnRun.get(d);
  if (waiting !== undefined) {
    waiting.push(free);
    return true;
  }
  const frees = [free];
  const letGo = (): void => {
    waitingOnRun.delete(d);
    for (const f of frees) f();
  };
  if (!whenWorkerLetsGo(d, letGo)) return false;
  waitingOnRun.set(d, frees);
  return true;
}

/**
 * {@link whenRouteLetsGo}, and for a remote call the reactor's backend asked whether its job still runs
 * (`RemoteBackend.whenJobEnds`, optional): what the reactor hands its dispatcher as `runsOn`.
 * @param remote - the reactor's backend, if any.
 * @returns the `runsOn` of the reactor's gates.
 */
export function routesLetGo(remote: RemoteBackend | undefined): RunsOn {
  if (remote === undefined) return whenRouteLetsGo;
  return (d, free) => whenRouteLetsGo(d, free) || whenRemoteJobEnds(remote, d, free);
}

/**
 * Asks `remote` whether the job behind `d` runs on; the backend is user-replaceable code, so its answer is taken
 * defensively: a throw is "no", `ended` called from inside the question is "no", and only the first `ended` frees.
 */
function whenRemoteJobEnds(remote: RemoteBackend, d: Deferred<unknown>, free: () => void): boolean {
  const answer = { asking: true, ended: false };
  const ended = (): void => {
    if (answer.ended) return;
    answer.ended = true;
    if (!answer.asking) free();
  };
  let held: boolean;
  try {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- read once (a getter runs once), called on `remote`
    const ask = remote.whenJobEnds;
    held = typeof ask === 'function' && ask.call(remote, d, ended) === true;
  } catch {
    held = false;
  }
  answer.asking = false;
  if (held && !answer.ended) return true;
  answer.ended = true; // not held: a later `ended` frees nothing
  return false;
}
