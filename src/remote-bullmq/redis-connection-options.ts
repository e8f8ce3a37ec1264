/**
 * `RedisConnectionOptions`: where the Redis server is, as BullMQ and ioredis both take it; and the parsing of the
 * CLI's `--redis` URL.
 *
 * @module
 */
import { safeString } from '../safe-string.js';

/**
 * How to reach Redis: `{ host, port }`, `{ path }` for a unix socket, or `{ url }` (`redis://[user:pass@]host:port[/db]`,
 * `rediss://…` for TLS, `unix:///path/to/redis.sock`). Any other key is handed to ioredis as is.
 */
export interface RedisConnectionOptions {
  /** Host name. @defaultValue `'127.0.0.1'` */
  host?: string;
  /** TCP port. @defaultValue 6379 */
  port?: number;
  /** Path of a unix socket (instead of host and port). */
  path?: string;
  /** A URL instead of the fields above. */
  url?: string;
  /** ACL user name. */
  username?: string;
  /** Password. */
  password?: string;
  /** Database number. */
  db?: number;
  /** Other ioredis options. */
  [option: string]: unknown;
}

/**
 * Turns a connection into explicit ioredis options (a `url` parsed into fields), so BullMQ and the extra
 * connections greenreactor opens reach the same server.
 * @param connection - the user's connection options.
 * @returns options without `url`.
 * @throws TypeError when `connection` is not an object or its `url` cannot be parsed.
 */
export function resolveConnection(connection: RedisConnectionOptions): Record<string, unknown> {
  if (typeof connection !== 'object' || connection === null) {
    throw new TypeError(`Expected \`connection\` to be Redis connection options ({ host, port }, { path } or { url }), got \`${String(connection)}\``);
  }
  // Own fields, plus the known ones a class may hold as getters (a spread copies only own enumerable fields): each
  // read once, here.
  const copy: Record<string, unknown> = { ...connection };
  for (const key of Object.keys(connectionFields)) {
    if (!(key in copy) && key in connection) copy[key] = connection[key];
  }
  for (const [key, check] of Object.entries(connectionFields)) {
    const value = copy[key];
    if (value !== undefined && !check.valid(value)) {
      throw new TypeError(`Expected \`connection.${key}\` to be ${check.expected}, got \`${safeString(value)}\` (${typeof value})`);
    }
  }
  const { url, ...rest } = copy;
  if (url === undefined) return rest;
  return { ...parseRedisUrl(url as string), ...rest };
}

function isPort(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;
}

/** The fields of {@link RedisConnectionOptions} greenreactor reads, and what each must be. */
const connectionFields: Readonly<Record<string, { readonly expected: string; readonly valid: (value: unknown) => boolean }>> = {
  host: { expected: 'a non-empty string', valid: (v) => typeof v === 'string' && v !== '' },
  port: { expected: 'a port number (an integer from 1 to 65535)', valid: (v) => isPort(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v) },
  path: { expected: 'a non-empty string (a unix socket path)', valid: (v) => typeof v === 'string' && v !== '' },
  url: { expected: 'a string (redis://host:port or unix:///path/to/redis.sock)', valid: (v) => typeof v === 'string' },
  username: { expected: 'a string', valid: (v) => typeof v === 'string' },
  password: { expected: 'a string', valid: (v) => typeof v === 'string' },
  db: { expected: 'a non-negative integer', valid: (v) => Number.isInteger(v) && (v as number) >= 0 },
};

/**
 * Parses `redis://`, `rediss://` and `unix://` URLs.
 * @param url - the URL.
 * @returns ioredis options.
 * @throws TypeError for another scheme or a malformed URL.
 */
export function parseRedisUrl(url: string): Record<string, unknown> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`Expected a Redis URL (redis://host:port or unix:///path/to/redis.sock), got \`${String(url)}\``);
  }
  if (parsed.protocol === 'unix:') {
    if (parsed.pathname === '') throw new TypeError(`Expected a socket path in \`${url}\` (unix:///path/to/redis.sock)`);
    return { path: decodeURIComponent(parsed.pathname) };
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(`Expected a Redis URL (redis://host:port or unix:///path/to/redis.sock), got \`${url}\``);
  }
  const out: Record<string, unknown> = { host: parsed.hostname || '127.0.0.1', port: parsed.port === '' ? 6379 : Number(parsed.port) };
  if (parsed.username !== '') out.username = decodeURIComponent(parsed.username);
  if (parsed.password !== '') out.password = decodeURIComponent(parsed.password);
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '') out.db = Number(db);
  if (parsed.protocol === 'rediss:') out.tls = {};
  return out;
}

/**
 * The options of the clients greenreactor makes: they wait for a lost connection to come back
 * (`maxRetriesPerRequest: null`, as BullMQ's blocking connections require; the caller's `unreachableMs` decides when
 * to stop waiting), reconnect every 100 ms growing to 1 s, and stop reconnecting once `closing()` is true — so a
 * client BullMQ made from these options ends even when Redis is out of reach (BullMQ's own `close()` waits for a
 * client that never connected).
 * @param connection - options from {@link resolveConnection}.
 * @param closing - tells whether the owner is closing.
 * @returns ioredis options.
 */
export function redisClientOptions(connection: Record<string, unknown>, closing: () => boolean): Record<string, unknown> {
  return {
    ...connection,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number): number | null => (closing() ? null : Math.min(100 * times, 1000)),
  };
}

/**
 * Names a server for messages, without credentials.
 * @param connection - options from {@link resolveConnection}.
 * @returns `unix:///path` or `host:port`.
 */
export function describeConnection(connection: Record<string, unknown>): string {
  if (typeof connection.path === 'string') return `unix://${connection.path}`;
  const host = typeof connection.host === 'string' ? connection.host : '127.0.0.1';
  const port = typeof connection.port === 'number' ? connection.port : 6379;
  return `${host}:${port}`;
}
