/**
 * The one list of callwarden's own tenant-keyed tables. Every tenant guard knows these
 * tables whatever rules it is given, so a scope built from the data map alone still refuses
 * a subquery on the consents or the audit trail of another tenant. A test compares this list
 * with the tables the migrations create.
 *
 * @module
 */
import type { TenantTableRule } from './data-map/data-map.js'

/** The tenant column of every callwarden table that has one. */
export const CORE_TENANT_COLUMN = 'tenant_id'

/**
 * callwarden's tables with a {@link CORE_TENANT_COLUMN} (migrations in `core-migrations.ts`).
 * `cw_tenants` (keyed by the tenant id itself) and `cw_job_leases` (process-wide) have none.
 */
export const CORE_TENANT_TABLES = [
  'cw_audit_events',
  'cw_audit_heads',
  'cw_audit_checkpoints',
  'cw_blacklist',
  'cw_consents',
  'cw_call_attempt_heads',
  'cw_call_attempts',
  'cw_burst_announcements',
  'cw_list_versions',
] as const

/** A callwarden table with a tenant column. */
export type CoreTenantTable = (typeof CORE_TENANT_TABLES)[number]

/** Tenant guard rules for {@link CORE_TENANT_TABLES}. */
export const CORE_TENANT_TABLE_RULES: readonly TenantTableRule[] = Object.freeze(
  CORE_TENANT_TABLES.map((table) => Object.freeze({ table, tenantColumn: CORE_TENANT_COLUMN })),
)
