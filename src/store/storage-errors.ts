/**
 * Turns the database drivers' "cannot serve this now" errors (a busy or locked SQLite file, a
 * MariaDB lock-wait timeout or deadlock, a refused or lost connection) into one coded
 * {@link StorageUnavailable}, at the one place every query passes: the dialect's driver.
 * Errors about the query itself (a duplicate key, a constraint, bad SQL) pass unchanged.
 *
 * @module
 */
import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely'
import { StorageUnavailable, type StorageUnavailableReason } from '../errors.js'

/** How each driver code is classified: its reason, and whether running again can succeed. */
interface Class {
  readonly reason: StorageUnavailableReason
  readonly retriable: boolean
}

/**
 * Exact driver codes. SQLite's plain `SQLITE_BUSY` comes after the busy handler waited the
 * whole `busy_timeout` for another process's write lock: waiting again in a loop only stacks
 * the timeouts, so it is not retried. `SQLITE_BUSY_SNAPSHOT` (a read snapshot went stale
 * before its write) comes at once and a new transaction resolves it. MariaDB's deadlock is
 * resolved by running again, and a lock-wait timeout is retried as it always was.
 */
const EXACT: Readonly<Record<string, Class>> = {
  SQLITE_BUSY: { reason: 'busy', retriable: false },
  SQLITE_BUSY_SNAPSHOT: { reason: 'busy', retriable: true },
  SQLITE_BUSY_RECOVERY: { reason: 'busy', retriable: true },
  SQLITE_BUSY_TIMEOUT: { reason: 'busy', retriable: false },
  ER_LOCK_DEADLOCK: { reason: 'deadlock', retriable: true },
  ER_LOCK_WAIT_TIMEOUT: { reason: 'lock-wait', retriable: true },
  ECONNREFUSED: { reason: 'unreachable', retriable: false },
  ECONNRESET: { reason: 'unreachable', retriable: false },
  ENOTFOUND: { reason: 'unreachable', retriable: false },
  EAI_AGAIN: { reason: 'unreachable', retriable: false },
  ETIMEDOUT: { reason: 'unreachable', retriable: false },
  EHOSTUNREACH: { reason: 'unreachable', retriable: false },
  ENETUNREACH: { reason: 'unreachable', retriable: false },
  EPIPE: { reason: 'unreachable', retriable: false },
  PROTOCOL_CONNECTION_LOST: { reason: 'unreachable', retriable: false },
  PROTOCOL_SEQUENCE_TIMEOUT: { reason: 'unreachable', retriable: false },
  ER_CON_COUNT_ERROR: { reason: 'unreachable', retriable: false },
  ER_TOO_MANY_USER_CONNECTIONS: { reason: 'unreachable', retriable: false },
  ER_SERVER_SHUTDOWN: { reason: 'unreachable', retriable: false },
  ER_ACCESS_DENIED_ERROR: { reason: 'unreachable', retriable: false },
  ER_DBACCESS_DENIED_ERROR: { reason: 'unreachable', retriable: false },
  ER_BAD_DB_ERROR: { reason: 'unreachable', retriable: false },
  ER_OPTION_PREVENTS_STATEMENT: { reason: 'unusable', retriable: false },
  ER_CANT_LOCK: { reason: 'unusable', retriable: false },
}

/** SQLite primary codes whose extended codes all mean the same here. */
const SQLITE_FAMILIES: Readonly<Record<string, Class>> = {
  SQLITE_BUSY: { reason: 'busy', retriable: false },
  SQLITE_LOCKED: { reason: 'busy', retriable: false },
  SQLITE_CANTOPEN: { reason: 'unusable', retriable: false },
  SQLITE_IOERR: { reason: 'unusable', retriable: false },
  SQLITE_READONLY: { reason: 'unusable', retriable: false },
  SQLITE_FULL: { reason: 'unusable', retriable: false },
  SQLITE_PERM: { reason: 'unusable', retriable: false },
  SQLITE_NOTADB: { reason: 'unusable', retriable: false },
  SQLITE_CORRUPT: { reason: 'unusable', retriable: false },
}

const EXPLANATION: Readonly<Record<StorageUnavailableReason, string>> = {
  busy: 'the database is locked by another process or connection',
  'lock-wait': 'a row lock was not granted in time',
  deadlock: 'the transaction was chosen as a deadlock victim',
  unreachable: 'the database server cannot be reached or refused the connection',
  unusable: 'the database file cannot be opened or written',
}

/**
 * The {@link StorageUnavailable} `error` stands for, or `undefined` when it is not a storage
 * failure (bad SQL, a constraint, a bug). The message names the database by its display URL
 * (no password) and the driver code, never the driver's message (it may quote values).
 * @internal
 */
export function storageFailure(error: unknown, displayUrl: string): StorageUnavailable | undefined {
  if (error instanceof StorageUnavailable) return error
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code !== 'string') return undefined
  const found =
    EXACT[code] ?? (code.startsWith('SQLITE_') ? SQLITE_FAMILIES[code.split('_', 2).join('_')] : undefined)
  if (found === undefined) return undefined
  return new StorageUnavailable(
    found.reason,
    code,
    `database ${displayUrl} is unavailable: ${EXPLANATION[found.reason]} (${code})${
      found.retriable ? '' : '; try again later'
    }`,
    { retriable: found.retriable, cause: error },
  )
}

/**
 * Wraps `dialect` so that every storage failure from its driver (connecting, a query, a
 * transaction's begin, commit or rollback) is thrown as a {@link StorageUnavailable}.
 * @internal
 */
export function withStorageErrors(dialect: Dialect, displayUrl: string): Dialect {
  const translate = (error: unknown): never => {
    throw storageFailure(error, displayUrl) ?? error
  }
  return {
    createAdapter: (): DialectAdapter => dialect.createAdapter(),
    createQueryCompiler: (): QueryCompiler => dialect.createQueryCompiler(),
    createIntrospector: (db: Kysely<any>): DatabaseIntrospector => dialect.createIntrospector(db),
    createDriver: (): Driver => new TranslatingDriver(dialect.createDriver(), translate),
  }
}

class TranslatingConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection
  readonly #translate: (error: unknown) => never

  constructor(inner: DatabaseConnection, translate: (error: unknown) => never) {
    this.inner = inner
    this.#translate = translate
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    // Awaited inside try: kysely's SQLite connection throws synchronously.
    try {
      return await this.inner.executeQuery<R>(compiledQuery)
    } catch (error) {
      return this.#translate(error)
    }
  }

  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize?: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(compiledQuery, chunkSize)
    } catch (error) {
      this.#translate(error)
    }
  }
}

class TranslatingDriver implements Driver {
  readonly #inner: Driver
  readonly #translate: (error: unknown) => never
  readonly #wrapped = new WeakMap<DatabaseConnection, TranslatingConnection>()

  constructor(inner: Driver, translate: (error: unknown) => never) {
    this.#inner = inner
    this.#translate = translate
  }

  /** The driver's own connection: the inner driver recognises only its own objects. */
  #unwrap(connection: DatabaseConnection): DatabaseConnection {
    return connection instanceof TranslatingConnection ? connection.inner : connection
  }

  /** Runs a step of the inner driver (a `begin` or `commit` may find the database busy). */
  async #run(step: () => Promise<void>): Promise<void> {
    try {
      await step()
    } catch (error) {
      this.#translate(error)
    }
  }

  init(): Promise<void> {
    return this.#run(() => this.#inner.init())
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    let inner: DatabaseConnection
    try {
      inner = await this.#inner.acquireConnection()
    } catch (error) {
      return this.#translate(error)
    }
    let wrapped = this.#wrapped.get(inner)
    if (wrapped === undefined) {
      wrapped = new TranslatingConnection(inner, this.#translate)
      this.#wrapped.set(inner, wrapped)
    }
    return wrapped
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#run(() => this.#inner.beginTransaction(this.#unwrap(connection), settings))
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#run(() => this.#inner.commitTransaction(this.#unwrap(connection)))
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#run(() => this.#inner.rollbackTransaction(this.#unwrap(connection)))
  }

  async savepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    if (this.#inner.savepoint === undefined) throw new Error('savepoints are not supported by this dialect')
    await this.#run(() => this.#inner.savepoint!(this.#unwrap(connection), name, compileQuery))
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    if (this.#inner.rollbackToSavepoint === undefined) {
      throw new Error('savepoints are not supported by this dialect')
    }
    await this.#run(() => this.#inner.rollbackToSavepoint!(this.#unwrap(connection), name, compileQuery))
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    if (this.#inner.releaseSavepoint === undefined)
      throw new Error('savepoints are not supported by this dialect')
    await this.#run(() => this.#inner.releaseSavepoint!(this.#unwrap(connection), name, compileQuery))
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(this.#unwrap(connection))
  }

  destroy(): Promise<void> {
    return this.#inner.destroy()
  }
}
