/**
 * The per-tenant burst guard. The platform's SLA does not cover unannounced bursts of 5
 * calls per second or more, so by default a tenant places at most 4 calls in any 1-second
 * window; an announced burst raises the limit for its period.
 *
 * Counting is in-process: a sliding-window log per tenant (at most `limit` timestamps), so
 * a decision costs no I/O. A deployment with several dialling processes gives each a share
 * (`processes: n` divides the limit); a shared counter would put a database round trip on
 * every call to save a few calls per second of headroom. Announcements are stored in
 * `cw_burst_announcements` with their audit event (`config.change`) and read by every
 * process, cached for `refreshMs`.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Clock } from '../../clock.js'
import { CallwardenError } from '../../errors.js'
import { whenReady, type Awaitable } from '../../lib/awaitable.js'
import { assertTenantId } from '../../lib/tenant-id.js'
import type { Viewer } from '../../masking/number-protector.js'
import type { TransactionalAuditSink } from '../blacklist/blacklist-service.js'
import { assertPolicyActor, policyActorOf } from '../policy-actor.js'
import { POLICY_TABLES, policyTenantDb } from '../policy-tables.js'
import { INSTANT_FORMS, parseInstant, readInstant, type InstantInput } from '../../lib/instant.js'
import { assertRequest } from '../../lib/request.js'

const TABLE = POLICY_TABLES.burstAnnouncements

/** The window the limit applies to, in milliseconds. */
export const BURST_WINDOW_MS = 1000
/** Calls per second a tenant may place without announcing: bursts of 5 or more are outside the SLA. */
export const DEFAULT_CALLS_PER_SECOND = 4
/** The highest rate a burst may announce. */
export const MAX_ANNOUNCED_PER_SECOND = 10_000
/** The longest announced burst: 31 days. */
export const MAX_ANNOUNCEMENT_MS = 31 * 24 * 3_600_000

/** Options of {@link BurstGuard}. */
export interface BurstGuardOptions {
  readonly db: Kysely<any>
  readonly audit: TransactionalAuditSink
  readonly clock: Clock
  /**
   * Calls per second a tenant may place without an announcement.
   * @defaultValue 4
   */
  readonly callsPerSecond?: number
  /**
   * Dialling processes sharing the limit: each enforces `max(1, floor(limit / processes))`.
   * @defaultValue 1
   */
  readonly processes?: number
  /**
   * How long a process keeps a tenant's announcements before reading them again.
   * @defaultValue 5000
   */
  readonly refreshMs?: number
}

/** A burst a tenant announced. */
export interface BurstAnnouncement {
  readonly id: string
  readonly maxPerSecond: number
  readonly from: Date
  readonly until: Date
  readonly announcedBy: { readonly id: string; readonly role: string }
}

/** What {@link BurstGuard.announceBurst} takes. */
export interface AnnounceBurstRequest {
  readonly tenantId: string
  /** The rate the tenant will reach, calls per second (more than the default limit). */
  readonly maxPerSecond: number
  /** `Date` or ISO 8601. */
  readonly from: Date | string
  /** `Date` or ISO 8601; after `from` and in the future, at most 31 days after `from`. */
  readonly until: Date | string
  /** An admin. */
  readonly by: Viewer
}

/** A spent slot; hand it to {@link BurstGuard.release} when the call is not placed after all. */
export interface BurstPermit {
  readonly tenantId: string
  readonly at: number
}

/** What {@link BurstGuard.tryAcquire} takes. */
export interface BurstRequest {
  readonly tenantId: string
  /** A Date, epoch ms or RFC 3339. */
  readonly at: InstantInput
  /** Judge without taking a slot. @defaultValue false */
  readonly dryRun?: boolean
}

/** The outcome of {@link BurstGuard.tryAcquire}. */
export type BurstDecision =
  | { readonly allowed: true; readonly limit: number; readonly permit?: BurstPermit }
  | {
      readonly allowed: false
      /** Calls allowed in the window (this process's share). */
      readonly limit: number
      readonly windowMs: number
      /** The first instant a call fits again. */
      readonly nextAllowedAt: Date
    }

interface CachedAnnouncements {
  readonly loadedAt: number
  readonly rows: readonly { maxPerSecond: number; from: number; until: number }[]
}

/**
 * The burst guard of every tenant (`cw.policy.rate`).
 *
 * @example
 * ```ts
 * await cw.policy.rate.announceBurst({
 *   tenantId: 'acme', maxPerSecond: 20, from: '2030-03-01T09:00:00Z', until: '2030-03-01T12:00:00Z',
 *   by: { id: 'admin-1', role: 'admin' },
 * })
 * const decision = await cw.policy.rate.tryAcquire({ tenantId: 'acme', at: new Date() })
 * if (!decision.allowed) scheduleRetry(decision.nextAllowedAt)
 * ```
 */
export class BurstGuard {
  readonly #options: BurstGuardOptions
  readonly #perSecond: number
  readonly #processes: number
  readonly #refreshMs: number
  /**
   * Per tenant, the instants of the calls placed in (or after) the current window: at most
   * `limit` entries per tenant, pruned on every decision.
   */
  readonly #logs = new Map<string, number[]>()
  readonly #announcements = new Map<string, CachedAnnouncements>()

  constructor(options: BurstGuardOptions) {
    this.#options = options
    this.#perSecond = options.callsPerSecond ?? DEFAULT_CALLS_PER_SECOND
    this.#processes = options.processes ?? 1
    this.#refreshMs = options.refreshMs ?? 5000
    for (const [name, value] of [
      ['callsPerSecond', this.#perSecond],
      ['processes', this.#processes],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new TypeError(`${name} must be a whole number of at least 1, got ${value}`)
      }
    }
    if (!Number.isFinite(this.#refreshMs) || this.#refreshMs < 0) {
      throw new TypeError(`refreshMs must be 0 or more, got ${this.#refreshMs}`)
    }
  }

  /** Calls this process lets the tenant place in any window around `at`. */
  async limitAt(tenantId: string, at: InstantInput): Promise<number> {
    assertTenantId(tenantId)
    const t = instant(at)
    return this.#limit(await this.#loadAnnouncements(tenantId), t)
  }

  #limit(announcements: CachedAnnouncements['rows'], t: number): number {
    let perSecond = this.#perSecond
    for (const a of announcements) {
      if (a.from <= t && t < a.until && a.maxPerSecond > perSecond) perSecond = a.maxPerSecond
    }
    return Math.max(1, Math.floor(perSecond / this.#processes))
  }

  /**
   * Takes a slot for a call at `at` when the tenant's window has room. A dry run judges
   * without taking one. Calls count in a window while `|time - at| < 1 s`, so a clock that
   * goes backwards does not free slots.
   */
  async tryAcquire(request: BurstRequest): Promise<BurstDecision> {
    assertRequest(request, 'rate.tryAcquire')
    return this.tryAcquireNow(request)
  }

  /**
   * {@link tryAcquire} for hot paths: the decision itself when the tenant's announced bursts
   * are in memory, a promise of it only when they have to be read first.
   *
   * @example
   * ```ts
   * const decision = await cw.policy.rate.tryAcquireNow({ tenantId: 'acme', at: new Date(), dryRun: true })
   * ```
   */
  tryAcquireNow(request: BurstRequest): Awaitable<BurstDecision> {
    assertRequest(request, 'rate.tryAcquireNow')
    const { tenantId } = request
    assertTenantId(tenantId)
    const at = instant(request.at)
    return whenReady(this.#loadAnnouncements(tenantId), (rows) =>
      this.#decide(tenantId, at, this.#limit(rows, at), request.dryRun),
    )
  }

  /** Synchronous: no other decision of this process interleaves. */
  #decide(tenantId: string, at: number, limit: number, dryRun: boolean | undefined): BurstDecision {
    let log = this.#logs.get(tenantId)
    if (log !== undefined) {
      log = log.filter((t) => t > at - BURST_WINDOW_MS)
      this.#logs.set(tenantId, log)
    }
    const near = (log ?? []).filter((t) => t < at + BURST_WINDOW_MS)
    if (near.length >= limit) {
      return {
        allowed: false,
        limit,
        windowMs: BURST_WINDOW_MS,
        nextAllowedAt: new Date(nextFit(log ?? [], limit, at)),
      }
    }
    if (dryRun === true) return { allowed: true, limit }
    if (log === undefined) this.#logs.set(tenantId, (log = []))
    log.push(at)
    return { allowed: true, limit, permit: Object.freeze({ tenantId, at }) }
  }

  /** Gives a slot back (the call was not placed after all). */
  release(permit: BurstPermit): void {
    const log = this.#logs.get(permit.tenantId)
    const i = log?.indexOf(permit.at) ?? -1
    if (i >= 0) log!.splice(i, 1)
  }

  /**
   * Announces a burst: from `from` until `until` the tenant may place up to `maxPerSecond`
   * calls per second. Stored with a `config.change` audit event in one transaction; every
   * process applies it within `refreshMs` (this one at once). Admins only.
   */
  async announceBurst(request: AnnounceBurstRequest): Promise<BurstAnnouncement> {
    assertRequest(request, 'rate.announceBurst')
    const { tenantId, by } = request
    assertTenantId(tenantId)
    assertPolicyActor(by, ['admin'], 'announce bursts')
    const now = this.#options.clock.now().getTime()
    const max = request.maxPerSecond
    if (!Number.isInteger(max) || max <= this.#perSecond || max > MAX_ANNOUNCED_PER_SECOND) {
      throw invalid(
        'maxPerSecond',
        `allowed: a whole number from ${this.#perSecond + 1} to ${MAX_ANNOUNCED_PER_SECOND}; got ${String(max)}`,
      )
    }
    const from = parseTime(request.from, 'from')
    const until = parseTime(request.until, 'until')
    if (until <= from) throw invalid('until', 'must lie after from')
    if (until <= now) throw invalid('until', 'must lie in the future')
    if (until - from > MAX_ANNOUNCEMENT_MS) {
      throw invalid('until', 'an announced burst lasts at most 31 days')
    }
    const id = `bu-${now.toString(36).padStart(9, '0')}${randomBytes(5).toString('hex')}`
    await this.#options.db.transaction().execute(async (trx) => {
      await policyTenantDb(trx, tenantId)
        .insertInto(TABLE)
        .values({
          tenant_id: tenantId,
          id,
          max_per_second: max,
          starts_at: from,
          ends_at: until,
          announced_by: by.id,
          announced_by_role: by.role,
          created_at: now,
        })
        .execute()
      await this.#options.audit.append(
        {
          tenantId,
          actor: policyActorOf(by),
          action: 'config.change',
          target: { type: 'burst-announcement', id },
          outcome: 'success',
          details: {
            setting: 'policy.rate.announcedBurst',
            maxPerSecond: max,
            from: new Date(from).toISOString(),
            until: new Date(until).toISOString(),
          },
        },
        { trx },
      )
    })
    this.#announcements.delete(tenantId)
    return {
      id,
      maxPerSecond: max,
      from: new Date(from),
      until: new Date(until),
      announcedBy: { id: by.id, role: by.role },
    }
  }

  /** The tenant's announced bursts that have not ended yet, by start. */
  async announcements(tenantId: string): Promise<readonly BurstAnnouncement[]> {
    assertTenantId(tenantId)
    const rows = await this.#query(tenantId)
    return rows.map((r) => ({
      id: String(r.id),
      maxPerSecond: Number(r.max_per_second),
      from: new Date(Number(r.starts_at)),
      until: new Date(Number(r.ends_at)),
      announcedBy: { id: String(r.announced_by), role: String(r.announced_by_role) },
    }))
  }

  #loadAnnouncements(tenantId: string): Awaitable<CachedAnnouncements['rows']> {
    const now = this.#options.clock.now().getTime()
    const cached = this.#announcements.get(tenantId)
    if (cached !== undefined && now - cached.loadedAt < this.#refreshMs && now >= cached.loadedAt) {
      return cached.rows
    }
    return this.#query(tenantId).then((found) => {
      const rows = found.map((r) => ({
        maxPerSecond: Number(r.max_per_second),
        from: Number(r.starts_at),
        until: Number(r.ends_at),
      }))
      this.#announcements.set(tenantId, { loadedAt: now, rows })
      return rows
    })
  }

  #query(tenantId: string) {
    return policyTenantDb(this.#options.db, tenantId)
      .selectFrom(TABLE)
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('ends_at', '>', this.#options.clock.now().getTime())
      .orderBy('starts_at')
      .limit(100)
      .execute()
  }
}

/**
 * The first instant `T >= at` at which fewer than `limit` calls lie within a window of `T`.
 * The count only drops when `T - window` passes a call, so the candidates are `call + window`.
 */
function nextFit(log: readonly number[], limit: number, at: number): number {
  const sorted = [...log].sort((a, b) => a - b)
  for (const t of sorted) {
    const candidate = t + BURST_WINDOW_MS
    if (candidate < at) continue
    const count = sorted.filter((u) => u > candidate - BURST_WINDOW_MS && u < candidate + BURST_WINDOW_MS)
    if (count.length < limit) return candidate
  }
  return (sorted.at(-1) ?? at) + BURST_WINDOW_MS
}

function parseTime(value: unknown, field: 'from' | 'until'): number {
  if (!(value instanceof Date) && typeof value !== 'string' && typeof value !== 'number') {
    throw new TypeError(`${field} must be a Date or an RFC 3339 string, got ${typeof value}`)
  }
  const time = readInstant(value)
  if (time === undefined) throw invalid(field, `allowed: ${INSTANT_FORMS}`)
  return time
}

function invalid(field: string, message: string): CallwardenError {
  return new CallwardenError(
    'ERR_BURST_ANNOUNCEMENT_INVALID',
    `burst announcement field '${field}': ${message}`,
  )
}

function instant(value: unknown): number {
  return parseInstant(value, 'at')
}
