/**
 * What `cw.policy` offers, assembled from the store, the audit trail and the masking views.
 *
 * @module
 */
import type { Kysely } from 'kysely'
import type { Clock } from '../clock.js'
import { CallwardenError } from '../errors.js'
import type { Awaitable } from '../lib/awaitable.js'
import { loadCalleeLocaleData } from './calling-hours/callee-locale.js'
import { createDncPolicy, type DncPolicy } from './dnc/dnc-policy.js'
import type { DncRegistry } from './dnc/dnc-registry.js'
import { CallingHoursEngine } from './calling-hours/calling-hours-engine.js'
import {
  parseCallingHoursOverrides,
  type CallingHoursOverrides,
} from './calling-hours/calling-hours-overrides.js'
import type { SqlDialect } from '../store/database.js'
import type { TenantRegistry } from '../store/tenant-registry.js'
import type { TenantScope } from '../store/tenant-scope.js'
import { tenantAttemptCaps, type AttemptCap, type AttemptCapSettings } from './attempts/attempt-cap.js'
import { AttemptLedger } from './attempts/attempt-ledger.js'
import {
  BlacklistService,
  type BlacklistServiceOptions,
  type TransactionalAuditSink,
} from './blacklist/blacklist-service.js'
import { DEFAULT_CONSENT_REQUIRED_FOR } from './consent/consent-middleware.js'
import type { ConsentPurpose } from './consent/consent-record.js'
import { ConsentService } from './consent/consent-service.js'
import { BurstGuard } from './rate/burst-guard.js'

/** The policy module of an assembled callwarden (`cw.policy`). */
export interface Policy {
  /** The per-tenant blacklist. */
  readonly blacklist: BlacklistService
  /** Do-not-call lists (global and per tenant), held in memory. */
  readonly dnc: DncRegistry
  /** The outbound DNC middleware bound to {@link dnc}. @internal */
  readonly dncPolicy: DncPolicy
  /** The per-tenant consent ledger. */
  readonly consent: ConsentService
  /** The call-attempt ledger behind the attempt caps. */
  readonly attempts: AttemptLedger
  /** The per-tenant burst guard and announced bursts. */
  readonly rate: BurstGuard
  /** The region a tenant's national numbers are read in. */
  regionOf(tenantId: string): Awaitable<string>
  /** Calling hours: the rule packs in force and each tenant's overrides. */
  readonly callingHours: {
    readonly engine: CallingHoursEngine
    /** The tenant's overrides (the same object every time), or `undefined`. */
    overridesOf(tenantId: string): CallingHoursOverrides | undefined
  }
  /** The tenant's own attempt caps (state caps come on top, per call). */
  attemptCapsFor(tenantId: string): readonly AttemptCap[]
  /** The call purposes that need a live consent for the tenant. */
  consentRequiredFor(tenantId: string): readonly ConsentPurpose[]
}

/**
 * Policy settings. Every field is optional; absent fields take the documented defaults.
 */
export interface PolicySettings {
  /** Attempt caps. @defaultValue 3 per 24 h and 7 per 7 days for every tenant */
  readonly attemptCaps?: AttemptCapSettings
  readonly consent?: {
    /** @defaultValue `['marketing']` */
    readonly requiredFor?: readonly ConsentPurpose[]
    /** Per tenant id. @defaultValue `{}` */
    readonly tenants?: Readonly<Record<string, { readonly requiredFor?: readonly ConsentPurpose[] }>>
  }
  readonly burst?: {
    /** @defaultValue 4 */
    readonly callsPerSecond?: number
    /** Dialling processes sharing each tenant's rate. @defaultValue 1 */
    readonly processes?: number
  }
}

/** @internal */
export function createPolicy(deps: {
  readonly db: Kysely<any>
  readonly dialect: SqlDialect
  readonly audit: TransactionalAuditSink
  readonly clock: Clock
  readonly tenants: Pick<TenantRegistry, 'findRecent' | 'recentlyRead'>
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
  /** The deployment secret the attempt ledger's number keys are derived from. */
  readonly numberKeySecret: Uint8Array
  readonly settings?: PolicySettings
}): Policy {
  const settings = deps.settings ?? {}
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
  const regionOfTenant = (
    tenantId: string,
    tenant: { readonly defaultRegion: string } | undefined,
  ): string => {
    if (tenant === undefined) {
      throw new CallwardenError('ERR_TENANT_INVALID', `tenant '${tenantId}' is not registered`)
    }
    return tenant.defaultRegion
  }
  const regionOf = (tenantId: string): Awaitable<string> => {
    const recent = deps.tenants.recentlyRead(tenantId)
    if (recent !== undefined) return regionOfTenant(tenantId, recent.tenant)
    return deps.tenants.findRecent(tenantId).then((tenant) => regionOfTenant(tenantId, tenant))
  }
  const dncPolicy = createDncPolicy({ clock: deps.clock, audit: deps.audit, regionOf })
  return {
    regionOf,
    dnc: dncPolicy.registry,
    dncPolicy,
    callingHours: { engine, overridesOf: (tenantId) => overrides.get(tenantId) },
    attemptCapsFor: (tenantId) => tenantAttemptCaps(settings.attemptCaps ?? {}, tenantId),
    consentRequiredFor: (tenantId) =>
      settings.consent?.tenants?.[tenantId]?.requiredFor ??
      settings.consent?.requiredFor ??
      DEFAULT_CONSENT_REQUIRED_FOR,
    blacklist: new BlacklistService({
      db: deps.db,
      audit: deps.audit,
      clock: deps.clock,
      regionOf,
      protector: deps.protector,
      ...(deps.listRefreshMs === undefined ? {} : { refreshMs: deps.listRefreshMs }),
      callRecords: { scope: deps.scope },
    }),
    consent: new ConsentService({
      db: deps.db,
      audit: deps.audit,
      clock: deps.clock,
      regionOf,
      protector: deps.protector,
    }),
    attempts: new AttemptLedger({
      db: deps.db,
      dialect: deps.dialect,
      clock: deps.clock,
      secret: deps.numberKeySecret,
      ...(deps.listRefreshMs === undefined ? {} : { recentMs: deps.listRefreshMs }),
    }),
    rate: new BurstGuard({
      db: deps.db,
      audit: deps.audit,
      clock: deps.clock,
      ...(settings.burst?.callsPerSecond === undefined
        ? {}
        : { callsPerSecond: settings.burst.callsPerSecond }),
      ...(settings.burst?.processes === undefined ? {} : { processes: settings.burst.processes }),
    }),
  }
}
