/**
 * What `cw.policy` offers, assembled from the store, the audit trail and the masking views.
 *
 * @module
 */
import type { Kysely } from 'kysely'
import type { Clock } from '../clock.js'
import { CallwardenError } from '../errors.js'
import type { TenantScope } from '../store/tenant-scope.js'
import {
  BlacklistService,
  type BlacklistServiceOptions,
  type TransactionalAuditSink,
} from './blacklist/blacklist-service.js'

/** The policy module of an assembled callwarden (`cw.policy`). */
export interface Policy {
  /** The per-tenant blacklist. */
  readonly blacklist: BlacklistService
  /** The region a tenant's national numbers are read in. */
  regionOf(tenantId: string): Promise<string>
}

/** @internal */
export function createPolicy(deps: {
  readonly db: Kysely<any>
  readonly audit: TransactionalAuditSink
  readonly clock: Clock
  readonly tenants: {
    findRecent(id: string): Promise<{ readonly defaultRegion: string } | undefined>
  }
  /** See {@link BlacklistServiceOptions.refreshMs}. */
  readonly listRefreshMs?: number
  readonly protector: BlacklistServiceOptions['protector']
  readonly scope: (tenantId: string) => TenantScope
}): Policy {
  const regionOf = async (tenantId: string): Promise<string> => {
    const tenant = await deps.tenants.findRecent(tenantId)
    if (tenant === undefined) {
      throw new CallwardenError('ERR_TENANT_INVALID', `tenant '${tenantId}' is not registered`)
    }
    return tenant.defaultRegion
  }
  return {
    regionOf,
    blacklist: new BlacklistService({
      db: deps.db,
      audit: deps.audit,
      clock: deps.clock,
      regionOf,
      protector: deps.protector,
      ...(deps.listRefreshMs === undefined ? {} : { refreshMs: deps.listRefreshMs }),
      callRecords: { scope: deps.scope },
    }),
  }
}
