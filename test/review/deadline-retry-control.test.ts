/**
 * `retries` under a deadline, on real workers (SPEC §4: `timeoutMs` counts from dispatch; SPEC §10: a call gets
 * `min(task timeoutMs, time left)`). A retry after a crash is the same call sent again: it keeps the deadline its
 * dispatch gave it, never a fresh one counted from the retry.
 *
 * @module
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { pathToFileURL } from 'node:url';
import { Reactor } from '../../src/reactor/reactor.js';
import { taskFrom } from '../../src/task/task.js';
import { writeTaskModule } from '../helpers/temp-task-module.js';

const worker = pathToFileURL(new URL('../../dist/src/worker/index.js', import.meta.url).pathname).href;

/**
 * `deadlineCrashOnce(seen, attempts)`: records `deadline()` of this attempt in `seen[attempt]`, crashes its worker
 * on the first attempt, returns the deadline on the second.
 */
const module = writeTaskModule(
  'gr-deadline-retry-',
  'tasks.mjs',
  `
import { deadline } from ${JSON.stringify(worker)};
export function deadlineCrashOnce(seen, attempts) {
  const attempt = Atomics.add(attempts, 0, 1);
  seen[attempt] = deadline() ?? -1;
  if (attempt === 0) process.exit(3);
  return seen[attempt];
}
`,
);

const crashOnce = taskFrom<[Float64Array, Int32Array], number>(module.url, 'deadlineCrashOnce', { retries: 1 });
const crashOnceWithTimeout = taskFrom<[Float64Array, Int32Array], number>(module.url, 'deadlineCrashOnce', { retries: 1, timeoutMs: 120_000 });

function cells(): [Float64Array, Int32Array] {
  return [new Float64Array(new SharedArrayBuffer(16)), new Int32Array(new SharedArrayBuffer(4))];
}

describe('a retried thread call keeps the deadline of its dispatch', () => {
  const reactor = new Reactor({ policy: { threads: { minThreads: 1, maxThreads: 1 } } });
  afterAll(async () => {
    await reactor.stop({ graceMs: 0 });
    module.remove();
  });

  it('inside withDeadline: the retry reads the same deadline() as the first attempt', async () => {
    const [seen, attempts] = cells();
    const before = Date.now();
    const result = await reactor.withDeadline(120_000, () => reactor.deferToThread(crashOnce, seen, attempts));
    expect(Atomics.load(attempts, 0)).toBe(2);
    expect(seen[0]).toBeGreaterThanOrEqual(before + 120_000);
    expect(seen[1]).toBe(seen[0]);
    expect(result).toBe(seen[0]);
  });

  it("with the task's own timeoutMs: the retry's deadline counts from the dispatch, not from the retry", async () => {
    const [seen, attempts] = cells();
    const before = Date.now();
    await reactor.deferToThread(crashOnceWithTimeout, seen, attempts);
    expect(Atomics.load(attempts, 0)).toBe(2);
    expect(seen[0]).toBeGreaterThanOrEqual(before + 120_000);
    expect(seen[1]).toBe(seen[0]);
  });
});
