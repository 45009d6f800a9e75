/**
 * The masking module as `createCallwarden()` assembles it: tenants' protection modes from
 * `cw_tenants`, mask styles and UID endpoints from configuration, one UID-mapping client per
 * tenant (created on first use), and the audit trail for unmasking and mapping failures.
 *
 * @module
 */
import type { AuditSink } from '../audit/audit-event.js'
import type { Clock } from '../clock.js'
import { CallwardenError } from '../errors.js'
import type { TenantRegistry } from '../store/tenant-registry.js'
import type { MaskStyle, NumberFormat } from './mask-number.js'
import {
  NumberProtector,
  type NumberView,
  type ResolveUidRequest,
  type TenantProtection,
  type ViewRequest,
} from './number-protector.js'
import {
  createUidMappingClient,
  type UidEndpointSettings,
  type UidMappingClient,
} from './uid-mapping/uid-mapping-client.js'

/** The `masking` section of the configuration. */
export interface MaskingSettings {
  readonly style: Exclude<MaskStyle, 'none'>
  readonly format: NumberFormat
  readonly tenants: Readonly<
    Record<
      string,
      { readonly style?: Exclude<MaskStyle, 'none'>; readonly uidEndpoint?: UidEndpointSettings }
    >
  >
}

/** What `cw.masking` offers. */
export interface Masking {
  /** The protector behind the views, for the `agentView()` / `dialByUid()` middleware. */
  readonly protector: NumberProtector
  /** What a viewer may see of a number (admin unmasking is audited). */
  view(request: ViewRequest): Promise<NumberView>
  /** The number behind a UID, for dialling (`ERR_UID_UNRESOLVED` when unresolvable). */
  resolveUid(request: ResolveUidRequest): Promise<string>
  /** The tenant's UID-mapping client, or `undefined` when none is configured. */
  uidClient(tenantId: string): Promise<UidMappingClient | undefined>
  /** Closes every UID-mapping client. Idempotent. */
  close(): Promise<void>
}

/** @internal */
export function createMasking(deps: {
  readonly tenants: TenantRegistry
  readonly settings: MaskingSettings
  readonly audit: AuditSink
  readonly clock: Clock
  readonly onAuditFailure?: (error: unknown) => void
  readonly fetch?: typeof globalThis.fetch
}): Masking {
  const { settings } = deps
  const clients = new Map<string, UidMappingClient>()
  let closed = false

  const protectionOf = async (tenantId: string): Promise<TenantProtection> => {
    const tenant = await deps.tenants.findRecent(tenantId)
    if (tenant === undefined) {
      throw new CallwardenError('ERR_TENANT_INVALID', `tenant '${tenantId}' is not registered`)
    }
    return {
      mode: tenant.protectionMode,
      style: settings.tenants[tenantId]?.style ?? settings.style,
      defaultRegion: tenant.defaultRegion,
    }
  }

  const uidClient = (tenantId: string, defaultRegion = 'CN'): UidMappingClient | undefined => {
    const endpoint = settings.tenants[tenantId]?.uidEndpoint
    if (endpoint === undefined || closed) return undefined
    let client = clients.get(tenantId)
    if (client === undefined) {
      client = createUidMappingClient({
        ...endpoint,
        defaultRegion,
        clock: deps.clock,
        ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
      })
      clients.set(tenantId, client)
    }
    return client
  }

  const protector = new NumberProtector({
    protectionOf,
    // The client reads national numbers in the tenant's region; it is made on first use.
    uidClientFor: (tenantId, protection) => uidClient(tenantId, protection.defaultRegion),
    audit: deps.audit,
    format: settings.format,
    ...(deps.onAuditFailure === undefined ? {} : { onAuditFailure: deps.onAuditFailure }),
  })

  return {
    protector,
    view: (request) => protector.view(request),
    resolveUid: (request) => protector.resolveUid(request),
    uidClient: async (tenantId) => uidClient(tenantId, (await protectionOf(tenantId)).defaultRegion),
    close: async () => {
      closed = true
      await Promise.all([...clients.values()].map((client) => client.close()))
      clients.clear()
    },
  }
}
