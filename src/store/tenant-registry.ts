/**
 * The tenants callwarden knows about, in `cw_tenants`: their status, protection mode,
 * allowed regions and retention preset.
 *
 * @module
 */
import type { Kysely } from 'kysely'
import { systemClock, type Clock } from '../clock.js'
import { CallwardenError } from '../errors.js'
import { insertIfAbsent } from './dialect-helpers.js'
import {
  assertNewTenantId,
  assertTenantId,
  GLOBAL_AUDIT_TENANT_ID,
  RESERVED_TENANT_IDS,
} from '../lib/tenant-id.js'
import { millisecondsOption } from '../lib/milliseconds.js'

export { assertTenantId, GLOBAL_AUDIT_TENANT_ID, RESERVED_TENANT_IDS }

/** Tenant lifecycle states. After termination data is kept 15 days, then deleted. */
export const TENANT_STATUSES = ['active', 'suspended', 'terminated'] as const
/** One tenant status. */
export type TenantStatus = (typeof TENANT_STATUSES)[number]

/** How agents see customers' numbers (REQUIREMENTS.md §1). */
export const PROTECTION_MODES = ['none', 'mask', 'uid'] as const
/** One protection mode. */
export type ProtectionMode = (typeof PROTECTION_MODES)[number]

/** A tenant as stored. */
export interface Tenant {
  readonly id: string
  readonly name: string
  readonly status: TenantStatus
  readonly protectionMode: ProtectionMode
  /** ISO 3166-1 alpha-2 region used to read national numbers. */
  readonly defaultRegion: string
  /** Regions exports and transfers may go to. */
  readonly allowedRegions: readonly string[]
  /** The retention preset name. */
  readonly retentionPreset: string
  readonly createdAt: Date
  readonly terminatedAt: Date | null
}

/** Fields for {@link TenantRegistry.create}. */
export interface NewTenant {
  readonly id: string
  readonly name: string
  /** @defaultValue `'mask'` */
  readonly protectionMode?: ProtectionMode
  /** @defaultValue `'CN'` */
  readonly defaultRegion?: string
  /** @defaultValue `[defaultRegion]` */
  readonly allowedRegions?: readonly string[]
  /** @defaultValue `'standard'` */
  readonly retentionPreset?: string
}

interface TenantRow {
  id: string
  name: string
  status: TenantStatus
  protection_mode: ProtectionMode
  default_region: string
  allowed_regions: string
  retention_preset: string
  created_at: number
  terminated_at: number | null
}

const REGION = /^[A-Z]{2}$/
/** Retention preset names (the column holds 40 characters). */
const PRESET = /^[a-z0-9][a-z0-9_-]{0,39}$/
/** The `name` column's length. */
const MAX_NAME_LENGTH = 200

/** A short description of a bad value for messages (never more than 20 characters of it). */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value.slice(0, 20)}'${value.length > 20 ? '…' : ''}`
  return value === null ? 'null' : typeof value
}

/** At most this many tenants are remembered by {@link TenantRegistry.findRecent}. */
const MAX_RECENT_TENANTS = 10_000

/**
 * Reads and writes `cw_tenants`.
 *
 * @example
 * ```ts
 * const tenants = new TenantRegistry(db)
 * await tenants.create({ id: 'acme', name: 'ACME Ltd', protectionMode: 'uid' })
 * ```
 */
export class TenantRegistry {
  readonly #db: Kysely<any>
  readonly #clock: Clock
  readonly #recentMs: number
  readonly #timer: () => number
  /** Recent reads for {@link findRecent}, by tenant id (unknown ids too). */
  readonly #recent = new Map<string, { readonly tenant: Tenant | undefined; readonly readAt: number }>()

  constructor(
    db: Kysely<any>,
    clock: Clock = systemClock,
    options: {
      /**
       * How long {@link findRecent} may answer from memory. 0 reads every time.
       * @defaultValue 1000
       */
      readonly recentMs?: number
      /** A monotonic millisecond timer. @defaultValue `performance.now` */
      readonly timer?: () => number
    } = {},
  ) {
    this.#db = db
    this.#clock = clock
    this.#recentMs = millisecondsOption('recentMs', options.recentMs, 1000)
    this.#timer = options.timer ?? (() => performance.now())
  }

  /**
   * Creates a tenant; `ERR_TENANT_INVALID` if the id is malformed, reserved (`system`) or
   * taken, or a field is malformed (name, regions, protection mode, retention preset).
   */
  async create(input: NewTenant): Promise<Tenant> {
    if (input === null || typeof input !== 'object') {
      throw new TypeError(
        `tenants.create() takes a tenant object, got ${input === null ? 'null' : typeof input}`,
      )
    }
    assertNewTenantId(input.id)
    if (
      typeof input.name !== 'string' ||
      input.name.trim().length === 0 ||
      input.name.length > MAX_NAME_LENGTH
    ) {
      throw new CallwardenError(
        'ERR_TENANT_INVALID',
        `tenant name is ${describeValue(input.name)}; allowed: a non-empty string of at most ${MAX_NAME_LENGTH} characters`,
      )
    }
    const preset = input.retentionPreset ?? 'standard'
    if (typeof preset !== 'string' || !PRESET.test(preset)) {
      throw new CallwardenError(
        'ERR_TENANT_INVALID',
        `retention preset is ${describeValue(preset)}; allowed: 1-40 of a-z, 0-9, '_' and '-'`,
      )
    }
    const defaultRegion = input.defaultRegion ?? 'CN'
    const allowedRegions = input.allowedRegions ?? [defaultRegion]
    if (!Array.isArray(allowedRegions) || allowedRegions.length === 0) {
      throw new CallwardenError(
        'ERR_TENANT_INVALID',
        'allowed regions must be a non-empty list of region codes',
      )
    }
    for (const region of [defaultRegion, ...allowedRegions]) {
      if (typeof region !== 'string' || !REGION.test(region)) {
        throw new CallwardenError(
          'ERR_TENANT_INVALID',
          `region ${describeValue(region)} is not an ISO 3166-1 alpha-2 code (two capital letters, e.g. CN, SG)`,
        )
      }
    }
    const mode = input.protectionMode ?? 'mask'
    if (!(PROTECTION_MODES as readonly string[]).includes(mode)) {
      throw new CallwardenError(
        'ERR_TENANT_INVALID',
        `protection mode '${String(mode)}' is not one of ${PROTECTION_MODES.join(', ')}`,
      )
    }
    const row: TenantRow = {
      id: input.id,
      name: input.name,
      status: 'active',
      protection_mode: mode,
      default_region: defaultRegion,
      allowed_regions: allowedRegions.join(','),
      retention_preset: preset,
      created_at: this.#clock.now().getTime(),
      terminated_at: null,
    }
    if (!(await insertIfAbsent(this.#db, 'cw_tenants', { ...row }))) {
      throw new CallwardenError('ERR_TENANT_INVALID', `tenant '${input.id}' already exists`)
    }
    this.#recent.delete(input.id)
    return toTenant(row)
  }

  /** The tenant, or `undefined`. */
  async find(id: string): Promise<Tenant | undefined> {
    if (typeof id !== 'string') throw new TypeError(`a tenant id is a string, got ${typeof id}`)
    const row = await this.#db.selectFrom('cw_tenants').selectAll().where('id', '=', id).executeTakeFirst()
    return row === undefined ? undefined : toTenant(row as TenantRow)
  }

  /**
   * What {@link findRecent} would answer from memory right now (`{ tenant }`, where `tenant`
   * is `undefined` for an unknown id), or `undefined` when it would have to read. Lets hot
   * paths decide without waiting.
   *
   * @example
   * ```ts
   * const recent = tenants.recentlyRead('acme')
   * const tenant = recent !== undefined ? recent.tenant : await tenants.findRecent('acme')
   * ```
   */
  recentlyRead(id: string): { readonly tenant: Tenant | undefined } | undefined {
    const hit = this.#recent.get(id)
    return hit !== undefined && this.#timer() - hit.readAt < this.#recentMs ? hit : undefined
  }

  /**
   * The tenant as read at most `recentMs` ago (by this process; changes made through this
   * registry are seen at once), or `undefined`. For the per-call checks of the pipelines,
   * where one read per call would cost more than the decision itself; a status change made
   * by another process takes effect here within `recentMs`.
   */
  async findRecent(id: string): Promise<Tenant | undefined> {
    const hit = this.recentlyRead(id)
    if (hit !== undefined) return hit.tenant
    const readAt = this.#timer()
    const tenant = await this.find(id)
    // Unknown ids are remembered too; the map is bounded so that probing cannot grow it.
    if (this.#recent.size >= MAX_RECENT_TENANTS) this.#recent.clear()
    this.#recent.set(id, { tenant, readAt })
    return tenant
  }

  /**
   * Whether `id` names a tenant, for hot paths such as the audit trail's appends: answered
   * at once from {@link findRecent}'s recent reads when it can, otherwise read (through `db`
   * when given: a caller's transaction, which on SQLite holds the only connection).
   *
   * @example
   * ```ts
   * new AuditTrail({ ...options, isRegistered: (id, db) => tenants.isRegistered(id, db) })
   * ```
   */
  isRegistered(id: string, db?: Kysely<any>): boolean | Promise<boolean> {
    const hit = this.recentlyRead(id)
    if (hit !== undefined) return hit.tenant !== undefined
    if (db === undefined) return this.findRecent(id).then((tenant) => tenant !== undefined)
    return db
      .selectFrom('cw_tenants')
      .select('id')
      .where('id', '=', id)
      .executeTakeFirst()
      .then((row) => row !== undefined)
  }

  /** The tenant; `ERR_TENANT_INVALID` if there is none. */
  async get(id: string): Promise<Tenant> {
    assertTenantId(id)
    const tenant = await this.find(id)
    if (tenant === undefined) throw new CallwardenError('ERR_TENANT_INVALID', `no tenant '${id}'`)
    return tenant
  }

  /** All tenants, ordered by id. */
  async list(): Promise<Tenant[]> {
    const rows = await this.#db.selectFrom('cw_tenants').selectAll().orderBy('id').execute()
    return rows.map((r) => toTenant(r as TenantRow))
  }

  /** Changes a tenant's status; terminating records the time (the 15-day grace starts). */
  async setStatus(id: string, status: TenantStatus): Promise<Tenant> {
    assertTenantId(id)
    if (!(TENANT_STATUSES as readonly string[]).includes(status)) {
      throw new CallwardenError(
        'ERR_TENANT_INVALID',
        `status '${String(status)}' is not one of ${TENANT_STATUSES.join(', ')}`,
      )
    }
    const terminatedAt = status === 'terminated' ? this.#clock.now().getTime() : null
    const result = await this.#db
      .updateTable('cw_tenants')
      .set({ status, terminated_at: terminatedAt })
      .where('id', '=', id)
      .executeTakeFirst()
    this.#recent.delete(id)
    if (Number(result.numUpdatedRows) === 0)
      throw new CallwardenError('ERR_TENANT_INVALID', `no tenant '${id}'`)
    return this.get(id)
  }
}

function toTenant(row: TenantRow): Tenant {
  return Object.freeze({
    id: row.id,
    name: row.name,
    status: row.status,
    protectionMode: row.protection_mode,
    defaultRegion: row.default_region,
    allowedRegions: Object.freeze(row.allowed_regions.split(',').filter((r) => r.length > 0)),
    retentionPreset: row.retention_preset,
    createdAt: new Date(Number(row.created_at)),
    terminatedAt: row.terminated_at === null ? null : new Date(Number(row.terminated_at)),
  })
}
