/**
 * What `cw.policy` offers, assembled from the store, the audit trail and the masking views.
 *
 * @module
 */
import type { Kysely } from 'kysely'
import type { Clock } from '../clock.js'
import { CallwardenError } from '../errors.js'
import { loadCalleeLocaleData } from './calling-hours/callee-locale.js'
import { CallingHoursEngine } from './calling-hours/calling-hours-engine.js'
import {
  parseCallingHoursOverrides,
  type CallingHoursOverrides,
} from './calling-hours/calling-hours-overrides.js'
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
  /** Calling hours: the rule packs in force and each tenant's overrides. */
  readonly callingHours: {
    readonly engine: CallingHoursEngine
    /** The tenant's overrides (the same object every time), or `undefined`. */
    overridesOf(tenantId: string): CallingHoursOverrides | undefined
  }
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
  /** `policy.callingHours` of the configuration. */
  readonly callingHours: {
    readonly packs?: readonly unknown[] | undefined
    readonly horizonDays: number
    readonly tenants: Readonly<Record<string, unknown>>
  }
}): Policy {
  // Read once at start-up, so that no call pays for the time-zone data.
  loadCalleeLocaleData()
  const engine = new CallingHoursEngine({
    ...(deps.callingHours.packs === undefined ? {} : { packs: deps.callingHours.packs }),
    horizonDays: deps.callingHours.horizonDays,
  })
  const overrides = new Map(
    Object.entries(deps.callingHours.tenants).map(([tenantId, input]) => [
      tenantId,
      parseCallingHoursOverrides(input),
    ]),
  )
  const regionOf = async (tenantId: string): Promise<string> => {
    const tenant = await deps.tenants.findRecent(tenantId)
    if (tenant === undefined) {
      throw new CallwardenError('ERR_TENANT_INVALID', `tenant '${tenantId}' is not registered`)
    }
    return tenant.defaultRegion
  }
  return {
    regionOf,
    callingHours: { engine, overridesOf: (tenantId) => overrides.get(tenantId) },
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
