/**
 * The audit module's tables and the tenant guard rules that cover them.
 *
 * @module
 */
import type { Kysely } from 'kysely'
import type { TenantTableRule } from '../store/data-map/data-map.js'
import { TenantGuardPlugin } from '../store/tenant-guard-plugin.js'

/** The audit tables, all scoped by `tenant_id`. */
export const AUDIT_TABLES = {
  events: 'cw_audit_events',
  heads: 'cw_audit_heads',
  checkpoints: 'cw_audit_checkpoints',
} as const

/** Tenant guard rules for the audit tables: every query on them needs a tenant predicate. */
export const AUDIT_TENANT_TABLE_RULES: readonly TenantTableRule[] = Object.values(AUDIT_TABLES).map((table) =>
  Object.freeze({ table, tenantColumn: 'tenant_id' }),
)

const guard = new TenantGuardPlugin({ rules: AUDIT_TENANT_TABLE_RULES })

/**
 * `db` guarded for one tenant: a query on an audit table without `tenant_id = tenantId`, or
 * naming another tenant, is refused with `ERR_TENANT_SCOPE` before it runs.
 *
 * @internal
 */
export function tenantDb<D extends Kysely<any>>(db: D, tenantId: string): D {
  return db.withPlugin(guard.withTenant(tenantId)) as D
}
