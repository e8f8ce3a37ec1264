/**
 * The deadlines of greenlets a reactor spawned with a limit (a Task's `timeoutMs` or a `withDeadline` scope), so
 * `deadline()` can answer inside them (SPEC §10).
 *
 * Why not a deadline scope per greenlet: each distinct async context costs a greenlet its own `AsyncResource`
 * (~0.85 µs on Node 20, see `src/time/async-context.ts`); a WeakMap entry costs a few ns and dies with the greenlet.
 * The hubs are remembered weakly, so a dropped reactor is not kept alive by this module.
 *
 * @module
 */

/** What this module needs of a hub: the greenlet whose code runs now (`Hub.getCurrent`). */
export interface CurrentGreenletSource {
  getCurrent(): object | null;
}

const deadlines = new WeakMap<object, number>();
const hubs: Array<WeakRef<CurrentGreenletSource>> = [];

/**
 * Records the deadline of a greenlet `hub` runs.
 * @param hub - the hub that runs it.
 * @param greenlet - the greenlet.
 * @param wallAt - its deadline, ms since the epoch.
 */
export function rememberGreenletDeadline(hub: CurrentGreenletSource, greenlet: object, wallAt: number): void {
  deadlines.set(greenlet, wallAt);
  if (!hubs.some((ref) => ref.deref() === hub)) {
    for (let i = hubs.length - 1; i >= 0; i--) if (hubs[i]!.deref() === undefined) hubs.splice(i, 1);
    hubs.push(new WeakRef(hub));
  }
}

/**
 * The deadline of the greenlet whose code runs now, if it was spawned with one.
 * @returns ms since the epoch, or `undefined`.
 */
export function currentGreenletDeadline(): number | undefined {
  for (const ref of hubs) {
    const current = ref.deref()?.getCurrent();
    if (current != null) return deadlines.get(current);
  }
  return undefined;
}
