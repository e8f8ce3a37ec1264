/**
 * `ReactorState`: where a reactor is in its life.
 *
 * @module
 */

/**
 * The lifecycle of a reactor: `'idle'` → `run()` → `'running'` → `stop()` → `'stopping'` → `'stopped'`;
 * `stop()` also works from `'idle'`. Work is accepted in `'idle'` and `'running'` only.
 */
export type ReactorState = 'idle' | 'running' | 'stopping' | 'stopped';
