/**
 * Imports a module that only some builds contain (the benchmark runner, the demos).
 *
 * @module
 */

/**
 * Imports `url`, or returns `undefined` when the module itself does not exist.
 *
 * A missing dependency *inside* the module is a real error and is rethrown.
 * @param url - the module's URL.
 * @returns its namespace, or `undefined`.
 */
export async function loadOptionalModule(url: URL): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(url.href)) as Record<string, unknown>;
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code === 'ERR_MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(url.pathname)) return undefined;
    throw error;
  }
}
