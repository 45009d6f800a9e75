/**
 * The few places where MySQL and SQLite differ, behind small functions so that modules
 * never branch on the dialect. Every statement here is keyed and bounded (no stored
 * procedures, triggers or GET_LOCK), so it also runs on TiDB and Vitess.
 *
 * @module
 */
import type { ColumnDefinitionBuilder, CreateTableBuilder, Kysely } from 'kysely'
import type { SqlDialect } from './database.js'
import { StorageUnavailable } from '../errors.js'

/** Rows deleted per statement by {@link deleteByKeys}. */
export const DELETE_BATCH_SIZE = 500

/**
 * Adds an auto-increment integer primary key `name` to a table being created.
 * SQLite only allows AUTOINCREMENT on `integer primary key`; MySQL wants `bigint`.
 */
export function addIdColumn<T extends string, C extends string>(
  table: CreateTableBuilder<T, C>,
  dialect: SqlDialect,
  name: string = 'id',
): CreateTableBuilder<T, C> {
  return dialect === 'sqlite'
    ? table.addColumn(name, 'integer', (c) => c.primaryKey().autoIncrement())
    : table.addColumn(name, 'bigint', (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement())
}

/**
 * Inserts `row` unless a row with the same primary or unique key exists; returns true when
 * it was inserted. Only a duplicate key counts as "exists": unlike MySQL's INSERT IGNORE or
 * SQLite's INSERT OR IGNORE, a row that breaks any other rule (a CHECK, NOT NULL, a value
 * too long) still fails instead of being dropped or truncated. Safe inside a transaction:
 * both engines roll back just the failed statement.
 */
export async function insertIfAbsent(
  db: Kysely<any>,
  table: string,
  row: Record<string, unknown>,
): Promise<boolean> {
  try {
    await db.insertInto(table).values(row).execute()
    return true
  } catch (error) {
    if (isDuplicateKeyError(error)) return false
    throw error
  }
}

/**
 * Inserts `row`, or, when a row with the same key exists, updates `update` on it. Written as
 * an insert and a keyed update rather than ON CONFLICT / ON DUPLICATE KEY so that it means
 * the same on every engine and stays checkable by the tenant guard: on a tenant table,
 * `keyColumns` must include the tenant column or the update is refused.
 *
 * @param keyColumns - the columns of the primary or unique key that identifies the row
 */
export async function upsert(
  db: Kysely<any>,
  table: string,
  row: Record<string, unknown>,
  keyColumns: readonly string[],
  update: Record<string, unknown>,
): Promise<'inserted' | 'updated'> {
  if (keyColumns.length === 0) throw new TypeError('upsert needs at least one key column')
  if (await insertIfAbsent(db, table, row)) return 'inserted'
  let query = db.updateTable(table).set(update)
  for (const column of keyColumns) {
    if (!(column in row)) throw new TypeError(`upsert key column '${column}' is missing from the row`)
    query = query.where(column, '=', row[column] as never)
  }
  await query.execute()
  return 'updated'
}

/** True for MySQL/MariaDB ER_DUP_ENTRY and SQLite primary-key/unique violations. */
export function isDuplicateKeyError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return (
    code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE'
  )
}

/**
 * True for lock conflicts that a transaction should simply run again: MySQL/MariaDB deadlocks
 * and lock-wait timeouts, a stale SQLite read snapshot. A SQLite database still busy after its
 * busy timeout is not one: the wait already happened, and waiting again only stacks timeouts.
 */
export function isTransientLockError(error: unknown): boolean {
  if (error instanceof StorageUnavailable) return error.retriable
  const code = (error as { code?: unknown } | null)?.code
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'SQLITE_BUSY_SNAPSHOT'
}

/**
 * Runs `fn` and runs it again, up to `attempts` times in all, while it fails with a lock
 * conflict ({@link isTransientLockError}), waiting a little longer (with jitter) each time.
 * Any other error, or the last conflict, is thrown.
 *
 * @example
 * ```ts
 * await retryOnLockConflict(() => db.transaction().execute(decide), 8)
 * ```
 */
export async function retryOnLockConflict<T>(fn: () => Promise<T>, attempts: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (error) {
      if (attempt >= attempts || !isTransientLockError(error)) throw error
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 10))
    }
  }
}

/**
 * Deletes the rows whose `keyColumn` is in `keys`, in batches of {@link DELETE_BATCH_SIZE},
 * each batch also restricted by `scope` (e.g. the tenant column). Returns the number of rows
 * deleted.
 */
export async function deleteByKeys(
  db: Kysely<any>,
  table: string,
  keyColumn: string,
  keys: readonly (string | number)[],
  scope: Readonly<Record<string, string | number>> = {},
): Promise<number> {
  let deleted = 0
  for (let start = 0; start < keys.length; start += DELETE_BATCH_SIZE) {
    let query = db.deleteFrom(table).where(keyColumn, 'in', keys.slice(start, start + DELETE_BATCH_SIZE))
    for (const [column, value] of Object.entries(scope)) query = query.where(column, '=', value)
    const result = await query.executeTakeFirst()
    deleted += Number(result.numDeletedRows)
  }
  return deleted
}
