/**
 * `followThenable`: settle with what a thenable finally gives, following thenables it fulfils with, as `await` does.
 *
 * @module
 */
import { isThenable } from '../is-thenable.js';

// Called on native Promises only: their own machinery settles them once, and never with a thenable.
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with `.call(promise, …)` only
const promiseThen = Promise.prototype.then;

/**
 * Call `source.then` and hand the final outcome to `onValue` or `onError`, exactly once: a thenable it fulfils with
 * is followed in turn (a thenable whose value is a thenable gives the inner one's value, as a Promise adopting it
 * would), and what breaks the Promise/A+ rules becomes an error (a `then` or `then` getter that throws, a thenable
 * that fulfils with itself). Later calls of its callbacks are ignored.
 *
 * Why: a greenlet function may return, and a generator greenlet may yield, any thenable; `.then` of a native
 * Promise never fulfils with a thenable, but a hand-written one may, and a greenlet must not finish with (or be sent)
 * a thenable where `await` would have given its value.
 *
 * @param source - the thenable.
 * @param onValue - gets the value (never a thenable).
 * @param onError - gets the rejection, or the error that broke the rules.
 */
export function followThenable(source: PromiseLike<unknown>, onValue: (value: unknown) => void, onError: (error: unknown) => void): void {
  if (Object.getPrototypeOf(source) === Promise.prototype) {
    // A native Promise settles once and never fulfils with a thenable: the common case pays nothing more.
    void promiseThen.call(source, onValue, onError);
    return;
  }
  let done = false;
  const fulfilled = (value: unknown): void => {
    if (done) return;
    done = true;
    if (value === source) {
      onError(new TypeError('A thenable fulfilled with itself (a chaining cycle)'));
      return;
    }
    let thenable: boolean;
    try {
      thenable = isThenable(value);
    } catch (error: unknown) {
      onError(error); // its `then` getter threw: the outcome, as a Promise adopting it would reject
      return;
    }
    if (thenable) followThenable(value as PromiseLike<unknown>, onValue, onError);
    else onValue(value);
  };
  const rejected = (error: unknown): void => {
    if (done) return;
    done = true;
    onError(error);
  };
  try {
    source.then(fulfilled, rejected);
  } catch (error: unknown) {
    rejected(error); // a `then` that throws before settling rejects, as it would for a Promise adopting it
  }
}
