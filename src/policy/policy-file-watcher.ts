/**
 * Watches one policy file and reports its new text after it settles.
 *
 * Watches the file's directory (so an editor that saves by writing a new file and renaming it over
 * the old one is still seen), debounces bursts of events into one read, and skips reads whose text did
 * not change. Any event in the directory leads to a read, not only one naming the file: a file reached
 * through a symlinked directory that is swapped (a Kubernetes ConfigMap volume: `policy.json ->
 * ..data/policy.json`, `..data` renamed over) changes with no event naming it. A directory removed and made
 * again is watched again once it is back (looked for every 250 ms). The fs watcher is non-persistent and the
 * timers unref'd: watching never keeps a process alive.
 *
 * @module
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { debounce } from '../time/debounce.js';
import { readPolicyTextLater } from './read-policy-config.js';

/** How often a watch whose directory was removed looks for it again (ms): a change applies within a second. */
const rewatchMs = 250;

/** A running watch; `close()` stops it (idempotent). */
export interface PolicyWatcher {
  /** Stops watching. */
  close(): void;
}

/** Callbacks and options of {@link watchPolicyFile}. */
export interface PolicyFileWatchOptions {
  /** Called with the file's text after each settled change. */
  onText: (text: string) => void;
  /** Called when the file cannot be read or the watch fails. */
  onError: (error: Error) => void;
  /** The text already applied, so an unchanged save is skipped. */
  initialText?: string | undefined;
  /**
   * Quiet time after the last event before the file is read (ms).
   * @defaultValue 50
   */
  debounceMs?: number | undefined;
}

/**
 * Watches `file` and calls `onText` with its contents after each change.
 * @param file - the file to watch.
 * @param options - callbacks, the current text, the debounce delay.
 * @returns a handle whose `close()` stops the watch.
 * @throws Error when the file's directory cannot be watched.
 */
export function watchPolicyFile(file: string, options: PolicyFileWatchOptions): PolicyWatcher {
  const path = resolve(file);
  const directory = dirname(path);
  const name = basename(path);
  const debounceMs = options.debounceMs ?? 50;
  let lastText = options.initialText;
  let closed = false;

  /** A read is due (the debounce timer runs). */
  let pending = false;
  const read = (): void => {
    pending = false;
    readPolicyTextLater(path, (error, text) => {
      if (closed) return;
      if (error !== null) {
        options.onError(error);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(directory)) lost();
        return;
      }
      if (text === lastText) return;
      lastText = text;
      options.onText(text);
    });
  };
  const settled = debounce(read, debounceMs);

  /** Watches the directory: every event (see the module comment) leads to one read per burst of them. */
  const watchDirectory = (): FSWatcher => {
    const made = watch(directory, { persistent: false }, (_event, changed) => {
      if (closed) return;
      // An event naming the file restarts the quiet period (editors often truncate, write and rename in quick
      // succession); any other (a swapped link, another file) asks for a read but never postpones one already due,
      // so a busy directory cannot hold a change back.
      if (changed !== null && changed !== name && pending) return;
      pending = true;
      settled.trigger();
    });
    made.on('error', (error: Error) => {
      if (closed) return;
      options.onError(error);
      lost();
    });
    return made;
  };
  // The directory was removed (or its watch failed): a watch dies with its directory and would not see one made
  // again at the same path, so it is looked for every rewatchMs until it is back, then watched and read.
  const rewatch = debounce(() => {
    if (closed || watcher !== undefined) return;
    try {
      watcher = watchDirectory();
    } catch {
      rewatch.trigger();
      return;
    }
    read();
  }, rewatchMs);
  const lost = (): void => {
    watcher?.close();
    watcher = undefined;
    rewatch.trigger();
  };
  let watcher: FSWatcher | undefined = watchDirectory();

  return {
    close(): void {
      if (closed) return;
      closed = true;
      settled.cancel();
      rewatch.cancel();
      watcher?.close();
    },
  };
}
