/**
 * The reactor's side of the remote route: `route: 'remote'` from rules and task options, `explain()`, `stats()`,
 * `stop()` closing the backend — against a recording backend (the BullMQ backend has its own tests).
 */
import { describe, expect, it } from '@jest/globals';
import { Deferred } from '../../src/deferred/deferred.js';
import { Reactor } from '../../src/reactor/reactor.js';
import type { RemoteBackend, RemoteStats } from '../../src/reactor/remote-backend.js';
import { defineTask, type Task } from '../../src/task/task.js';
import { failureOf } from '../threads/thread-test-kit.js';

const plainTask = defineTask(import.meta.url, 'plainTask', (n: number) => n + 1);
const remoteTask = defineTask(import.meta.url, 'remoteTask', (n: number) => n * 10, { route: 'remote' });
const cpuTask = defineTask(import.meta.url, 'cpuTask', (n: number) => n, { kind: 'cpu' });

/** A backend that answers every call with `remote:<name>` and records what it was asked. */
class RecordingBackend implements RemoteBackend {
  readonly engine = 'recording';
  readonly calls: Array<{ task: string; args: readonly unknown[] }> = [];
  closedWith: number | undefined;

  call(task: Task, args: readonly unknown[]): Deferred<unknown> {
    this.calls.push({ task: task.name, args });
    const d = new Deferred<unknown>();
    d.callback(`remote:${task.name}`);
    return d;
  }

  stats(): RemoteStats {
    const zero = { p50: 0, p99: 0 };
    return {
      engine: this.engine,
      calls: this.calls.length,
      completed: this.calls.length,
      failed: 0,
      cancelled: 0,
      timedOut: 0,
      crashed: 0,
      retried: 0,
      inFlight: 0,
      reconciled: 0,
      waitMs: zero,
      runMs: zero,
      reconcileLagMs: { ...zero, max: 0 },
      tasks: {},
    };
  }

  close(graceMs: number): Promise<void> {
    this.closedWith = graceMs;
    return Promise.resolve();
  }
}

describe('Reactor with a remote backend', () => {
  describe('new Reactor({ remote })', () => {
    it('throws TypeError for something that is not a backend', () => {
      expect(() => new Reactor({ remote: {} as never })).toThrow(TypeError);
    });
  });

  describe('.dispatch()', () => {
    it("sends a task whose own route is 'remote' to the backend", async () => {
      const backend = new RecordingBackend();
      const reactor = new Reactor({ remote: backend });
      await expect(reactor.dispatch(remoteTask, 4).asPromise()).resolves.toBe('remote:remoteTask');
      expect(backend.calls).toEqual([{ task: 'remoteTask', args: [4] }]);
      await reactor.stop();
    });

    it("sends a task a rule routes to 'remote' to the backend", async () => {
      const backend = new RecordingBackend();
      const reactor = new Reactor({ remote: backend, policy: { rules: [{ name: 'far', match: { task: 'plain*' }, route: 'remote' }] } });
      await expect(reactor.dispatch(plainTask, 1).asPromise()).resolves.toBe('remote:plainTask');
      expect(reactor.stats().policy.routes.remote).toBe(1);
      expect(reactor.stats().policy.ruleHits.far).toBe(1);
      await reactor.stop();
    });

    it('errbacks TypeError when a call is routed remote and the reactor has no backend', async () => {
      const reactor = new Reactor();
      const error = await failureOf(reactor.dispatch(remoteTask, 1));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/no remote backend/);
      await reactor.stop();
    });

    it('runs a plain function a rule routes remote on a greenlet (a function cannot travel)', async () => {
      const backend = new RecordingBackend();
      const reactor = new Reactor({ remote: backend, policy: { rules: [{ match: { task: 'local*' }, route: 'remote' }] } });
      const localDouble = (n: number): number => n * 2;
      expect(reactor.explain(localDouble, 2).route).toBe('green');
      await expect(reactor.dispatch(localDouble, 2).asPromise()).resolves.toBe(4);
      expect(backend.calls).toEqual([]);
      await reactor.stop();
    });

    it('never goes remote by itself under auto, even with a backend', async () => {
      const backend = new RecordingBackend();
      const reactor = new Reactor({ remote: backend, policy: { default: 'auto' } });
      expect(reactor.explain(cpuTask, 1).route).not.toBe('remote');
      expect(reactor.explain(plainTask, 1).route).not.toBe('remote');
      await reactor.stop();
    });
  });

  describe('.explain()', () => {
    it('names the remote route, the rule and the engine', async () => {
      const reactor = new Reactor({ remote: new RecordingBackend(), policy: { rules: [{ name: 'far', match: { task: 'plain*' }, route: 'remote' }] } });
      const decision = reactor.explain(plainTask, 1);
      expect(decision.route).toBe('remote');
      expect(decision.rule).toBe('far');
      expect(decision.reason).toMatch(/recording backend/);
      await reactor.stop();
    });

    it('says when the reactor has no backend', async () => {
      const reactor = new Reactor();
      expect(reactor.explain(remoteTask, 1).reason).toMatch(/no remote backend/);
      await reactor.stop();
    });
  });

  describe('.stats()', () => {
    it("has the backend's figures under remote", async () => {
      const backend = new RecordingBackend();
      const reactor = new Reactor({ remote: backend });
      await reactor.deferToRemote(plainTask, 1).asPromise();
      expect(reactor.stats().remote).toMatchObject({ engine: 'recording', calls: 1 });
      await reactor.stop();
    });

    it('has no remote part without a backend', async () => {
      const reactor = new Reactor();
      expect(reactor.stats().remote).toBeUndefined();
      await reactor.stop();
    });
  });

  describe('.stop()', () => {
    it('closes the backend with the grace period', async () => {
      const backend = new RecordingBackend();
      const reactor = new Reactor({ remote: backend });
      await reactor.stop({ graceMs: 1234 });
      expect(backend.closedWith).toBe(1234);
    });
  });
});

describe('defineTask()', () => {
  it("accepts route 'remote'", () => {
    expect(remoteTask.options.route).toBe('remote');
  });
});
