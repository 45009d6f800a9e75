/**
 * Writing sequenced events to `cw_audit_events`: the one statement of the append path that
 * carries much data (a group commit writes up to `maxBatch` rows).
 *
 * On MySQL/MariaDB the multi-row INSERT is written out here as SQL text with the values as
 * escaped literals. Built through kysely, a 1,000-row insert is 12,000 value nodes that are
 * compiled to placeholders and then escaped by mysql2 into the same text; profiling the
 * append path showed that work and its garbage costing more CPU than the database's own.
 * Because the statement is compiled by hand it does not pass the tenant guard plugin
 * (which inspects kysely's query tree), so this file holds the guard's rule itself: every
 * row's `tenant_id` is the tenant the batch was sequenced for, taken from one argument. On
 * SQLite (embedded, one writer) the kysely insert is kept. (mysql2 still scans each
 * statement's text once for placeholders, as it does for any query with a parameter list,
 * and kysely always passes one; that scan is ~7 % of the append path's CPU.)
 *
 * @module
 */
import { CompiledQuery, type Kysely } from 'kysely'
import type { SqlDialect } from '../store/database.js'
import { AUDIT_TABLES, tenantDb } from './audit-tables.js'

/** The key columns of an event row, copied from the event for keyed queries. @internal */
export interface EventKeyColumns {
  readonly actorId: string
  readonly actorRole: string
  readonly action: string
  readonly targetType: string
  readonly targetId: string
  readonly outcome: string
}

/** One event with its place in the chain, as it is stored. @internal */
export interface EventRow {
  readonly seq: number
  readonly id: string
  /** Milliseconds since the epoch. */
  readonly time: number
  readonly columns: EventKeyColumns
  /** The canonical JSON that was hashed. */
  readonly body: string
  readonly hash: string
}

const COLUMNS = [
  'tenant_id',
  'seq',
  'id',
  'time',
  'actor_id',
  'actor_role',
  'action',
  'target_type',
  'target_id',
  'outcome',
  'body',
  'hash',
] as const

const INSERT_HEAD = `insert into \`${AUDIT_TABLES.events}\` (${COLUMNS.map((c) => `\`${c}\``).join(', ')}) values `

/**
 * Longest statement text before a new statement is started, well below MariaDB's default
 * `max_allowed_packet` (16 MiB) even when every character takes 4 bytes.
 */
const MAX_STATEMENT_CHARS = 2_000_000
/** Rows per kysely insert on SQLite (its limit of bound parameters is 32,766). */
const SQLITE_CHUNK = 500

// What a single-quoted MySQL string literal needs escaped, as mysql2 (sqlstring) escapes
// it, less the double quote (harmless between single quotes, and in every JSON body): the
// quote, the backslash and the bytes a literal must not carry raw. Like mysql2, this
// assumes the server's default SQL mode (backslash escapes on, no NO_BACKSLASH_ESCAPES).
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\0\b\t\n\r\x1a'\\]/g
const ESCAPES: Readonly<Record<string, string>> = {
  '\0': '\\0',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\x1a': '\\Z',
  "'": "\\'",
  '\\': '\\\\',
}

/** A MySQL string literal for `value`. @internal */
export function mysqlStringLiteral(value: string): string {
  NEEDS_ESCAPE.lastIndex = 0
  return NEEDS_ESCAPE.test(value) ? `'${value.replace(NEEDS_ESCAPE, (c) => ESCAPES[c]!)}'` : `'${value}'`
}

/** A SQL integer literal; refuses anything but a safe whole number. */
function integerLiteral(value: number): string {
  if (!Number.isSafeInteger(value)) throw new TypeError(`${value} is not a safe whole number`)
  return String(value)
}

/**
 * Inserts `rows` of `tenantId` into `cw_audit_events` within `trx` (a transaction, or the
 * caller's). Throws the driver's error (a duplicate key among them) unchanged.
 *
 * @internal
 */
export async function insertEventRows(
  trx: Kysely<any>,
  dialect: SqlDialect,
  tenantId: string,
  rows: readonly EventRow[],
): Promise<void> {
  if (dialect !== 'mysql') {
    const db = tenantDb(trx, tenantId)
    for (let i = 0; i < rows.length; i += SQLITE_CHUNK) {
      await db
        .insertInto(AUDIT_TABLES.events)
        .values(rows.slice(i, i + SQLITE_CHUNK).map((r) => columnsOf(tenantId, r)))
        .execute()
    }
    return
  }
  const tenant = mysqlStringLiteral(tenantId)
  let text = ''
  for (const r of rows) {
    const c = r.columns
    const values =
      `(${tenant},${integerLiteral(r.seq)},${mysqlStringLiteral(r.id)},${integerLiteral(r.time)},` +
      `${mysqlStringLiteral(c.actorId)},${mysqlStringLiteral(c.actorRole)},${mysqlStringLiteral(c.action)},` +
      `${mysqlStringLiteral(c.targetType)},${mysqlStringLiteral(c.targetId)},${mysqlStringLiteral(c.outcome)},` +
      `${mysqlStringLiteral(r.body)},${mysqlStringLiteral(r.hash)})`
    if (text.length > 0 && text.length + values.length > MAX_STATEMENT_CHARS) {
      await trx.executeQuery(CompiledQuery.raw(text))
      text = ''
    }
    text = text.length === 0 ? INSERT_HEAD + values : `${text},${values}`
  }
  if (text.length > 0) await trx.executeQuery(CompiledQuery.raw(text))
}

function columnsOf(tenantId: string, r: EventRow): Record<(typeof COLUMNS)[number], string | number> {
  return {
    tenant_id: tenantId,
    seq: r.seq,
    id: r.id,
    time: r.time,
    actor_id: r.columns.actorId,
    actor_role: r.columns.actorRole,
    action: r.columns.action,
    target_type: r.columns.targetType,
    target_id: r.columns.targetId,
    outcome: r.columns.outcome,
    body: r.body,
    hash: r.hash,
  }
}
