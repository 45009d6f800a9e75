/**
 * Helpers that keep migrations idempotent on both dialects. MySQL DDL is not
 * transactional, so a migration interrupted half-way must be able to run again: every
 * table is created `if not exists` and every index only when absent.
 *
 * @module
 */
import { sql, type AlterTableBuilder, type Kysely } from 'kysely'
import type { SqlDialect } from '../database.js'

/** Creates an index unless one of that name exists on the table. */
export async function createIndexIfAbsent(
  db: Kysely<any>,
  dialect: SqlDialect,
  name: string,
  table: string,
  columns: readonly string[],
  options: { unique?: boolean } = {},
): Promise<void> {
  if (dialect === 'mysql') {
    const existing = await sql<{ n: number }>`
      select count(*) as n from information_schema.statistics
      where table_schema = database() and table_name = ${table} and index_name = ${name}`.execute(db)
    if (Number(existing.rows[0]?.n ?? 0) > 0) return
    let index = db.schema
      .createIndex(name)
      .on(table)
      .columns([...columns])
    if (options.unique === true) index = index.unique()
    await index.execute()
    return
  }
  let index = db.schema
    .createIndex(name)
    .ifNotExists()
    .on(table)
    .columns([...columns])
  if (options.unique === true) index = index.unique()
  await index.execute()
}

/** Adds a nullable column unless the table has one of that name (MySQL DDL is not transactional). */
export async function addColumnIfAbsent(
  db: Kysely<any>,
  dialect: SqlDialect,
  table: string,
  column: string,
  type: Parameters<AlterTableBuilder['addColumn']>[1],
): Promise<void> {
  const existing =
    dialect === 'mysql'
      ? await sql<{ n: number }>`
          select count(*) as n from information_schema.columns
          where table_schema = database() and table_name = ${table} and column_name = ${column}`.execute(db)
      : await sql<{
          n: number
        }>`select count(*) as n from pragma_table_info(${table}) where name = ${column}`.execute(db)
  if (Number(existing.rows[0]?.n ?? 0) > 0) return
  await db.schema.alterTable(table).addColumn(column, type).execute()
}

/**
 * A CHECK expression `column in ('a', 'b', ...)` that enforces a closed set in the database.
 * Only our own `as const` identifiers are accepted, so the raw SQL cannot be injected into.
 */
export function checkIn(column: string, values: readonly string[]) {
  for (const v of [column, ...values]) {
    if (!/^[a-z_]+$/.test(v)) throw new TypeError(`'${v}' is not a plain identifier`)
  }
  return sql.raw<boolean>(`${column} in (${values.map((v) => `'${v}'`).join(', ')})`)
}
