/**
 * `guardAbortListeners`: an `AbortSignal` whose listeners' exceptions are reported, not thrown into the process.
 *
 * @module
 */

/** A listener as `addEventListener` takes it (the DOM's `EventListenerOrEventListenerObject`; no DOM lib here). */
type AbortListener = ((event: Event) => void) | { handleEvent(event: Event): void };
type GuardedListener = (this: unknown, event: Event) => void;
type NodeListener = Parameters<AbortSignal['addEventListener']>[1];

/**
 * Make the listeners of `signal` (added with `addEventListener`, or set as `onabort`) report what they throw to
 * `report` instead of letting it escape.
 *
 * Why: Node's `EventTarget` rethrows a listener's exception on a later tick (`process.nextTick`), as an uncaught
 * exception that ends the process. A greenlet's `signal` aborts inside `kill()`, so a throwing listener would take
 * the user's process down from the kill; the greenlet's other user callbacks (its links) report to the hub's
 * `'error'`, and so do these. Each listener is wrapped once (the same wrapper each time it is added, so adding it
 * twice still registers it once and removing it removes that one); options, `once` included, pass through.
 *
 * @param signal - a signal this code made (its controller is private): its methods are shadowed on the instance.
 * @param report - gets each exception a listener throws.
 */
export function guardAbortListeners(signal: AbortSignal, report: (error: unknown) => void): void {
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  const wrappers = new WeakMap<object, GuardedListener>();
  const wrap = (listener: AbortListener): GuardedListener => {
    let w = wrappers.get(listener);
    if (w === undefined) {
      w = function guarded(this: unknown, event: Event): void {
        try {
          if (typeof listener === 'function') listener.call(this, event);
          else listener.handleEvent(event);
        } catch (error: unknown) {
          report(error);
        }
      };
      wrappers.set(listener, w);
    }
    return w;
  };
  const guardable = (listener: unknown): listener is AbortListener =>
    typeof listener === 'function' || (typeof listener === 'object' && listener !== null);
  Object.defineProperties(signal, {
    addEventListener: {
      value(type: string, listener: unknown, options?: Parameters<AbortSignal['addEventListener']>[2]): void {
        add(type, (guardable(listener) ? wrap(listener) : listener) as NodeListener, options);
      },
      configurable: true,
      writable: true,
    },
    removeEventListener: {
      value(type: string, listener: unknown, options?: Parameters<AbortSignal['removeEventListener']>[2]): void {
        const w = guardable(listener) ? wrappers.get(listener) : undefined;
        remove(type, (w ?? listener) as NodeListener, options);
      },
      configurable: true,
      writable: true,
    },
  });
  // `onabort` is an event handler attribute on the prototype: shadow it so that the handler set runs guarded too.
  const handler = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'onabort');
  if (handler?.get !== undefined && handler.set !== undefined) {
    const attribute = handler as { get: (this: AbortSignal) => unknown; set: (this: AbortSignal, fn: unknown) => void };
    let own: unknown = null;
    Object.defineProperty(signal, 'onabort', {
      get: () => (own === null ? attribute.get.call(signal) : own),
      set: (fn: unknown) => {
        own = typeof fn === 'function' ? fn : null;
        attribute.set.call(signal, own === null ? fn : wrap(own as AbortListener));
      },
      configurable: true,
      enumerable: true,
    });
  }
}
