/**
 * Watches one policy file and reports its new text after it settles.
 *
 * Watches the file's directory (so an editor that saves by writing a new file and renaming it over
 * the old one is still seen), debounces bursts of events into one read, and skips reads whose text did
 * not change. Any event in the directory leads to a read, not only one naming the file: a file reached
 * through a symlinked directory that is swapped (a Kubernetes ConfigMap volume: `policy.json ->
 * ..data/policy.json`, `..data` renamed over) changes with no event naming it. The fs watcher is
 * non-persistent and the debounce timer unref'd: watching never keeps a process alive.
 *
 * @module
 */
import { watch, readFile, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { debounce } from '../time/debounce.js';

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
  const debounceMs = options.debounceMs ?? 50;
  let lastText = options.initialText;
  let closed = false;

  const read = (): void => {
    readFile(path, 'utf8', (error, text) => {
      if (closed) return;
      if (error !== null) {
        options.onError(error);
        return;
      }
      if (text === lastText) return;
      lastText = text;
      options.onText(text);
    });
  };
  const settled = debounce(read, debounceMs);

  // Every event (see the module comment); one read per burst: editors often truncate, write and rename in quick
  // succession. A read whose text did not change applies nothing.
  const watcher: FSWatcher = watch(dirname(path), { persistent: false }, () => {
    if (!closed) settled.trigger();
  });
  watcher.on('error', (error: Error) => {
    if (!closed) options.onError(error);
  });

  return {
    close(): void {
      if (closed) return;
      closed = true;
      settled.cancel();
      watcher.close();
    },
  };
}
