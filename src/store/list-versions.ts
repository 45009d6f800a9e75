/**
 * Per-tenant version counters of configuration lists (the blacklist, …), so that a process
 * holding a list in memory can tell, with one keyed read, whether another process changed
 * it. A change bumps the counter in the same transaction as the change itself, so a reader
 * that sees the new version also sees the new rows.
 *
 * @module
 */
import { sql, type Kysely } from 'kysely'
import { TenantGuardPlugin } from './tenant-guard-plugin.js'
import { insertIfAbsent } from './dialect-helpers.js'

/** The table of version counters (migration `core/0005_list_versions`). */
export const LIST_VERSIONS_TABLE = 'cw_list_versions'

/** The tenant guard rule that covers {@link LIST_VERSIONS_TABLE}. */
export const LIST_VERSIONS_TENANT_TABLE_RULE = Object.freeze({
  table: LIST_VERSIONS_TABLE,
  tenantColumn: 'tenant_id',
})

const guard = new TenantGuardPlugin({ rules: [LIST_VERSIONS_TENANT_TABLE_RULE] })

/**
 * Bumps `list`'s version for `tenantId`. Call it inside the transaction that changes the
 * list; the row lock it takes also orders concurrent changes of the same list.
 */
export async function bumpListVersion(db: Kysely<any>, tenantId: string, list: string): Promise<void> {
  const guarded = db.withPlugin(guard.withTenant(tenantId))
  // Update first: it takes the row's exclusive lock at once. Trying the insert first would
  // take a shared lock on the existing row (a duplicate key), and two transactions that
  // both hold it deadlock when they go on to update.
  const increment = () =>
    guarded
      .updateTable(LIST_VERSIONS_TABLE)
      .set({ version: sql`version + 1` })
      .where('tenant_id', '=', tenantId)
      .where('list', '=', list)
      .executeTakeFirst()
  if (Number((await increment()).numUpdatedRows) > 0) return
  const inserted = await insertIfAbsent(guarded, LIST_VERSIONS_TABLE, {
    tenant_id: tenantId,
    list,
    version: 1,
  })
  if (!inserted) await increment() // another transaction created it meanwhile
}

/** `list`'s current version for `tenantId`; 0 when it was never changed. */
export async function readListVersion(db: Kysely<any>, tenantId: string, list: string): Promise<number> {
  const row = (await db
    .withPlugin(guard.withTenant(tenantId))
    .selectFrom(LIST_VERSIONS_TABLE)
    .select('version')
    .where('tenant_id', '=', tenantId)
    .where('list', '=', list)
    .executeTakeFirst()) as { version: number | string | bigint } | undefined
  return row === undefined ? 0 : Number(row.version)
}
