/**
 * `examples/start.ts` (`greenreactor demo`): argument handling, without running the demos.
 */
import { describe, it, expect } from '@jest/globals';
import { main, usage } from '../../examples/start.js';

describe('examples/start main()', () => {
  it('rejects an unknown demo name with exit code 2 and the usage', async () => {
    const lines: string[] = [];
    await expect(main(['bogus'], (l) => lines.push(l))).resolves.toBe(2);
    expect(lines.join('\n')).toContain('Unknown argument bogus');
    expect(lines.join('\n')).toContain(usage);
  });
});
