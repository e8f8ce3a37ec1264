import { describe, expect, it } from '@jest/globals';
import { AsyncLocalStorage } from 'node:async_hooks';
import * as flags from '../../src/green/greenlet-flags.js';
import { greenletControl } from '../../src/green/greenlet.js';
import type { GreenletState } from '../../src/green/greenlet-state.js';
import { runInContext } from '../../src/time/async-context.js';
import { makeVirtualHub } from '../helpers/virtual-hub.js';

const bits = {
  STARTED: flags.STARTED,
  THROWING: flags.THROWING,
  OK: flags.OK,
  OBSERVED: flags.OBSERVED,
  KILL_PENDING: flags.KILL_PENDING,
  ASYNC_BUSY: flags.ASYNC_BUSY,
  LINK_KIND_MASK: flags.LINK_KIND_MASK,
  TRACKED: flags.TRACKED,
  SENDING_KILL: flags.SENDING_KILL,
  NATIVE_GENERATOR: flags.NATIVE_GENERATOR,
  STATE_MASK: flags.STATE_MASK,
  MODE_MASK: flags.MODE_MASK,
};

describe('greenlet flags', () => {
  it.each(Object.entries(bits))('%s shares no bit with any other field of the flags', (name, mask) => {
    for (const [other, otherMask] of Object.entries(bits)) {
      if (other !== name) expect([other, mask & otherMask]).toEqual([other, 0]);
    }
  });

  it('fits every state in the state bits and every mode in the mode bits, pending and unstarted being 0', () => {
    const states = [flags.ST_PENDING, flags.ST_QUEUED, flags.ST_RUNNING, flags.ST_PARKED, flags.ST_DEAD];
    const modes = [flags.MODE_UNSTARTED, flags.MODE_CALLING, flags.MODE_GENERATOR, flags.MODE_ASYNC, flags.MODE_FINISHED];
    for (const st of states) expect(st & ~flags.STATE_MASK).toBe(0);
    for (const mode of modes) expect(mode & ~flags.MODE_MASK).toBe(0);
    expect(new Set(states).size).toBe(states.length);
    expect(new Set(modes).size).toBe(modes.length);
    expect([flags.ST_PENDING, flags.MODE_UNSTARTED]).toEqual([0, 0]);
  });

  it('names each state by the bits that hold it', () => {
    for (const [name, st] of Object.entries(flags.stateBits) as Array<[GreenletState, number]>) {
      expect(flags.stateNames[(st & flags.STATE_MASK) >> flags.STATE_SHIFT]).toBe(name);
    }
  });
});

describe('greenletControl.queuedContext()', () => {
  it("gives a queued greenlet's spawner context, and null once it is no longer queued", () => {
    const { hub } = makeVirtualHub();
    const storage = new AsyncLocalStorage<string>();
    const g = storage.run('spawner', () =>
      hub.spawn(function* () {
        yield;
      }),
    );
    const context = greenletControl.queuedContext(g);
    expect(context).not.toBeNull();
    expect(storage.run('elsewhere', () => runInContext(context!, () => storage.getStore()))).toBe('spawner');
    void g.kill();
    expect(greenletControl.queuedContext(g)).toBeNull();
  });
});
