/**
 * `repeat`: `n` values made by calling a function with each index, the batches the suites build.
 *
 * @module
 */

/**
 * The values `f(0)`, `f(1)`, … `f(n - 1)`, in order.
 * @param n - how many.
 * @param f - makes the value at an index.
 * @returns the array.
 */
export const repeat = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
