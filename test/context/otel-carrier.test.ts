import { afterEach, describe, expect, it } from '@jest/globals';
import { ThreadPool } from '../../src/threads/thread-pool.js';
import * as otel from '../fixtures/otel-tasks.js';
import { built } from '../threads/thread-test-kit.js';

describe('the OpenTelemetry carrier recipe (docs/context.md)', () => {
  let pool: ThreadPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('makes a span started in a worker a child of the dispatching span', async () => {
    pool = new ThreadPool({ maxThreads: 1 });
    const { parent, seen } = await otel.tracer.startActiveSpan('request', async (span) => {
      const seen = await pool!.run(built(otel.tracedWork), 'one');
      span.end();
      return { parent: span.spanContext(), seen };
    });
    expect(seen).toEqual({ traceId: parent.traceId, parentSpanId: parent.spanId });
  });

  it('starts a new trace in the worker when nothing was active at dispatch', async () => {
    pool = new ThreadPool({ maxThreads: 1 });
    expect((await pool.run(built(otel.tracedWork), 'orphan')).parentSpanId).toBeNull();
  });

  it("gives each of 1,000 concurrent requests' worker spans their own request's span as parent", async () => {
    pool = new ThreadPool({ maxThreads: 2 });
    const pairs = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        otel.tracer.startActiveSpan(`request ${i}`, async (span) => {
          const seen = await pool!.run(built(otel.tracedWork), String(i));
          span.end();
          return { expected: span.spanContext().spanId, seen: seen.parentSpanId };
        }),
      ),
    );
    expect(pairs.filter((p) => p.expected !== p.seen)).toEqual([]);
    expect(new Set(pairs.map((p) => p.seen)).size).toBe(1000);
  });
});
