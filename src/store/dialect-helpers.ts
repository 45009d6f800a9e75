/**
 * The few places where MySQL and SQLite differ, behind small functions so that modules
 * never branch on the dialect. Every statement here is keyed and bounded (no stored
 * procedures, triggers or GET_LOCK), so it also runs on TiDB and Vitess.
 *
 * @module
 */
import type { ColumnDefinitionBuilder, CreateTableBuilder, Kysely } from 'kysely'
import type { SqlDialect } from './database.js'

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
 * Inserts `row` unless a row with the same primary or unique key exists.
 * Returns true when the row was inserted.
 */
export async function insertIfAbsent(
  db: Kysely<any>,
  table: string,
  row: Record<string, unknown>,
): Promise<boolean> {
  const result = await db.insertInto(table).values(row).orIgnore().executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0
}

/**
 * Inserts `row`, or updates `update` on the existing row with the same key.
 *
 * @param keyColumns - the columns of the conflicting primary or unique key (SQLite needs them)
 */
export async function upsert(
  db: Kysely<any>,
  dialect: SqlDialect,
  table: string,
  row: Record<string, unknown>,
  keyColumns: readonly string[],
  update: Record<string, unknown>,
): Promise<void> {
  const insert = db.insertInto(table).values(row)
  if (dialect === 'mysql') {
    await insert.onDuplicateKeyUpdate(update).execute()
  } else {
    await insert.onConflict((oc) => oc.columns([...keyColumns]).doUpdateSet(update)).execute()
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
