/**
 * What an assembled callwarden needs for do-not-call lists: the registry (`cw.policy.dnc`),
 * the middleware bound to it, and the loading of the lists named in configuration.
 *
 * @module
 */
import type { AuditSink } from '../../audit/audit-event.js'
import type { Clock } from '../../clock.js'
import type { OutboundCall } from '../../pipeline/call-events.js'
import type { Middleware } from '../../pipeline/pipeline.js'
import { dnc } from './dnc-middleware.js'
import { DncRegistry, type DncLoadReport } from './dnc-registry.js'
import type { DncListFormat } from './dnc-source.js'

/** One list to load at startup (the proposed `policy.dnc.lists[]` configuration entry). */
export interface DncListConfig {
  /** The list's name. */
  readonly name: string
  /** The file to load it from. */
  readonly file: string
  /** @defaultValue `'lines'` */
  readonly format?: DncListFormat
  /** CSV only: the column's header name or index. @defaultValue `0` */
  readonly column?: string | number
  /** Where national numbers are read; without it only international numbers are taken. */
  readonly region?: string
  /** The tenant owning the list; leave it out for a list that applies to every tenant. */
  readonly tenantId?: string
  /** Fail startup on any bad line. @defaultValue false */
  readonly strict?: boolean
}

/** The do-not-call part of the policy module. */
export interface DncPolicy {
  /** The lists (`cw.policy.dnc`). */
  readonly registry: DncRegistry
  /** The outbound middleware, bound to the registry and the tenants' regions. */
  middleware(): Middleware<OutboundCall>
  /** Loads each configured list in full, one after another; any failure rejects. */
  loadLists(lists: readonly DncListConfig[]): Promise<DncLoadReport[]>
}

/**
 * Creates the registry and what goes with it. The integrator calls it once, adds
 * `registry` to `cw.policy` as `dnc`, puts `middleware()` into the outbound chain after
 * `numberChecks()`, and awaits `loadLists(config.policy.dnc.lists)` at startup.
 *
 * @example
 * ```ts
 * const dncPolicy = createDncPolicy({ clock, audit, regionOf })
 * await dncPolicy.loadLists([{ name: 'us-national', file: '/data/dnc/us.txt', region: 'US' }])
 * const outbound = createPipeline<OutboundCall>().use(numberChecks({ regionOf })).use(dncPolicy.middleware())
 * ```
 */
export function createDncPolicy(deps: {
  readonly clock: Clock
  readonly audit: AuditSink
  readonly regionOf: (tenantId: string) => string | Promise<string>
  readonly globalAuditTenantId?: string
}): DncPolicy {
  const registry = new DncRegistry({
    clock: deps.clock,
    audit: deps.audit,
    ...(deps.globalAuditTenantId === undefined ? {} : { globalAuditTenantId: deps.globalAuditTenantId }),
  })
  return {
    registry,
    middleware: () => dnc({ registry, regionOf: deps.regionOf }),
    async loadLists(lists) {
      const reports: DncLoadReport[] = []
      for (const l of lists) {
        reports.push(
          await registry.load({
            list: l.name,
            source: l.file,
            ...(l.format === undefined ? {} : { format: l.format }),
            ...(l.column === undefined ? {} : { column: l.column }),
            ...(l.region === undefined ? {} : { region: l.region }),
            ...(l.tenantId === undefined ? {} : { tenantId: l.tenantId }),
            ...(l.strict === undefined ? {} : { strict: l.strict }),
          }),
        )
      }
      return reports
    },
  }
}
