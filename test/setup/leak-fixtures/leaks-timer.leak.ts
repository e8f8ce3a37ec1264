// A test file that leaves a ref'd timer pending: the open-handles check must fail it (`Timeout ×1`).
import { expect, it } from '@jest/globals';

it('starts a timer and never clears it', () => {
  expect(setTimeout(() => undefined, 600_000)).toBeDefined();
});
