/**
 * The kysely factory: one function turns a database URL into a Kysely instance on MySQL /
 * MariaDB (mysql2 pool) or SQLite (better-sqlite3).
 *
 * @module
 */
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { Kysely, MysqlDialect, SqliteDialect } from 'kysely'
import { createPool } from 'mysql2'
import { CallwardenError } from '../errors.js'
import { parseDatabaseUrl, redactUrl } from '../lib/storage-urls.js'
import { withStorageErrors } from './storage-errors.js'

export { redactUrl }

/** The SQL dialects callwarden runs on. */
export const SQL_DIALECTS = ['mysql', 'sqlite'] as const
/** One SQL dialect. */
export type SqlDialect = (typeof SQL_DIALECTS)[number]

/** A database connection and the facts modules need about it. */
export interface Database {
  /** The Kysely instance. Host tables are reached through a `TenantScope`, not directly. */
  readonly db: Kysely<any>
  readonly dialect: SqlDialect
  /** The URL with any password removed, for logs and messages. */
  readonly displayUrl: string
  /** Closes the pool / file handle. Idempotent. */
  close(): Promise<void>
}

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /**
   * Maximum connections of a MySQL pool.
   * @defaultValue 10
   */
  readonly poolSize?: number
}

/**
 * Opens a database from a URL: `sqlite:./path.db`, `sqlite::memory:` or
 * `mysql://user:pass@host:port/db`.
 *
 * @example
 * ```ts
 * const database = openDatabase('sqlite:./.callwarden/callwarden.db')
 * await database.db.selectFrom('cw_tenants').selectAll().execute()
 * await database.close()
 * ```
 */
export function openDatabase(url: string, options: OpenDatabaseOptions = {}): Database {
  if (typeof url !== 'string')
    throw new TypeError(`openDatabase() takes a database URL string, got ${typeof url}`)
  if (options === null || typeof options !== 'object') {
    throw new TypeError('openDatabase() takes an options object as its second argument')
  }
  const parsed = parseDatabaseUrl(url)
  const displayUrl = redactUrl(url)
  if (parsed.dialect === 'sqlite') {
    const sqlite = openSqlite(parsed.path)
    const dialect = new SqliteDialect({ database: sqlite })
    return wrap(new Kysely<any>({ dialect: withStorageErrors(dialect, displayUrl) }), 'sqlite', url)
  }
  const pool = createPool({
    uri: url,
    connectionLimit: options.poolSize ?? 10,
    // Time columns are epoch milliseconds; 'Z' keeps any DATETIME a host declares in UTC.
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    dateStrings: false,
    charset: 'utf8mb4',
  })
  const dialect = new MysqlDialect({ pool })
  return wrap(new Kysely<any>({ dialect: withStorageErrors(dialect, displayUrl) }), 'mysql', url)
}

/**
 * Opens (creating it and its folder if need be) and sets up a SQLite file. Any failure — a
 * folder that cannot be made, a path that is a directory or read-only, a file that is not a
 * database — is an `ERR_STORAGE_UNAVAILABLE` naming the path.
 */
function openSqlite(path: string): BetterSqlite3.Database {
  let sqlite: BetterSqlite3.Database | undefined
  try {
    if (path !== ':memory:') createPrivately(path)
    sqlite = new BetterSqlite3(path)
    // WAL lets readers proceed during a purge; busy_timeout makes concurrent writers from
    // other processes wait (this long, once) instead of failing at once.
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`)
    sqlite.pragma('foreign_keys = ON')
    return sqlite
  } catch (cause) {
    sqlite?.close()
    const code = (cause as { code?: unknown } | null)?.code
    throw new CallwardenError(
      'ERR_STORAGE_UNAVAILABLE',
      `cannot open SQLite database '${path}'${typeof code === 'string' ? ` (${code})` : ''}; the path must name a file in a writable folder`,
      { cause },
    )
  }
}

/**
 * Creates a new database file 0600 in folders created 0700: it holds personal data, and
 * SQLite gives its `-wal` and `-shm` files the database file's mode. An existing file keeps
 * the mode its owner gave it.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(resolve(path)), { recursive: true, mode: 0o700 })
  // 'a' creates the file when missing and never truncates one that exists.
  closeSync(openSync(path, 'a', 0o600))
}

/** How long a SQLite write waits for another process's write lock before it fails. */
const SQLITE_BUSY_TIMEOUT_MS = 5000

function wrap(db: Kysely<any>, dialect: SqlDialect, url: string): Database {
  let closing: Promise<void> | undefined
  return {
    db,
    dialect,
    displayUrl: redactUrl(url),
    close: () => (closing ??= db.destroy()),
  }
}
