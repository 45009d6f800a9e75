/**
 * The policy module's tables and the tenant guard rules that cover them.
 *
 * @module
 */
import type { Kysely } from 'kysely'
import type { TenantTableRule } from '../store/data-map/data-map.js'
import { TenantGuardPlugin } from '../store/tenant-guard-plugin.js'

/** The policy tables, all scoped by `tenant_id`. */
export const POLICY_TABLES = {
  blacklist: 'cw_blacklist',
  consents: 'cw_consents',
  callAttempts: 'cw_call_attempts',
  /** One row per (tenant, number) called: locked by every attempt decision on that number. */
  callAttemptHeads: 'cw_call_attempt_heads',
  burstAnnouncements: 'cw_burst_announcements',
} as const

/**
 * Tenant guard rules for the policy tables: every query on them needs a tenant predicate.
 *
 * @example
 * ```ts
 * const guarded = db.withPlugin(new TenantGuardPlugin({ rules: POLICY_TENANT_TABLE_RULES }))
 * await guarded.selectFrom('cw_blacklist').selectAll().execute() // throws ERR_TENANT_SCOPE
 * ```
 */
export const POLICY_TENANT_TABLE_RULES: readonly TenantTableRule[] = Object.values(POLICY_TABLES).map(
  (table) => Object.freeze({ table, tenantColumn: 'tenant_id' }),
)

const guard = new TenantGuardPlugin({ rules: POLICY_TENANT_TABLE_RULES })

/**
 * `db` guarded for one tenant: a query on a policy table without `tenant_id = tenantId`, or
 * naming another tenant, is refused with `ERR_TENANT_SCOPE` before it runs.
 *
 * @internal
 */
export function policyTenantDb<D extends Kysely<any>>(db: D, tenantId: string): D {
  return db.withPlugin(guard.withTenant(tenantId)) as D
}
