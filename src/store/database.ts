/**
 * The kysely factory: one function turns a database URL into a Kysely instance on MySQL /
 * MariaDB (mysql2 pool) or SQLite (better-sqlite3).
 *
 * @module
 */
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { Kysely, MysqlDialect, SqliteDialect } from 'kysely'
import { createPool } from 'mysql2'
import { CallwardenError } from '../errors.js'
import { parseDatabaseUrl, redactUrl } from '../lib/storage-urls.js'

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
  const parsed = parseDatabaseUrl(url)
  if (parsed.dialect === 'sqlite') {
    if (parsed.path !== ':memory:') mkdirSync(dirname(resolve(parsed.path)), { recursive: true })
    let sqlite: BetterSqlite3.Database
    try {
      sqlite = new BetterSqlite3(parsed.path)
    } catch (cause) {
      throw new CallwardenError('ERR_STORAGE_UNAVAILABLE', `cannot open SQLite database '${parsed.path}'`, {
        cause,
      })
    }
    // WAL lets readers proceed during a purge; busy_timeout makes concurrent writers from
    // other processes wait instead of failing at once.
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('busy_timeout = 5000')
    sqlite.pragma('foreign_keys = ON')
    return wrap(new Kysely<any>({ dialect: new SqliteDialect({ database: sqlite }) }), 'sqlite', url)
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
  return wrap(new Kysely<any>({ dialect: new MysqlDialect({ pool }) }), 'mysql', url)
}

function wrap(db: Kysely<any>, dialect: SqlDialect, url: string): Database {
  let closing: Promise<void> | undefined
  return {
    db,
    dialect,
    displayUrl: redactUrl(url),
    close: () => (closing ??= db.destroy()),
  }
}
