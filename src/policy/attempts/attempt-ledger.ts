/**
 * The call-attempt ledger: every placed call to a number is recorded, and a new attempt is
 * allowed only while every applicable cap has room.
 *
 * Atomicity: one decision is one short transaction. It locks the number's head row in
 * `cw_call_attempt_heads` (`SELECT … FOR UPDATE` on MySQL/MariaDB; on SQLite a write to the
 * row as the first statement, which takes the database's write lock at once, as `BEGIN
 * IMMEDIATE` would), reads the attempts in the longest window, judges the caps and inserts
 * the attempt. Deciders in any number of processes therefore take turns per number, and a
 * cap can never be exceeded; different numbers do not wait for each other on MySQL. The
 * head row is created on first use in a statement of its own, outside the transaction
 * (creating it inside would let two first callers deadlock on InnoDB gap locks).
 *
 * Dry runs (what-if decisions) answer from this process's recent reads of a number's attempts
 * when they are at most `recentMs` old, like the blacklist's per-process copy; so does a real
 * decision that is refused because a cap was full at that read. Attempts are only added,
 * except when a call gives its attempt back: a give-back in this process is seen at once, one
 * in another process within `recentMs`. A real decision that may be allowed always takes the
 * locked transaction, so no cap is ever exceeded. The recent reads are this process's memory,
 * keyed by tenant and number (at most twice {@link RECENT_NUMBERS} numbers), never written.
 *
 * Numbers are stored as a keyed hash (HMAC-SHA256, a per-tenant key derived with HKDF from a
 * deployment secret): attempts are only ever looked up by exact number and never shown, so
 * the ledger's tables hold no copy of the number. Every process of a deployment must use the same
 * secret; a new secret starts every count from zero.
 *
 * @module
 */
import { createHmac, hkdfSync } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type { Clock } from '../../clock.js'
import type { Awaitable } from '../../lib/awaitable.js'
import { RecentCache } from '../../lib/recent-cache.js'
import { newSortableId } from '../../lib/sortable-id.js'
import { assertTenantId } from '../../lib/tenant-id.js'
import { millisecondsOption } from '../../lib/milliseconds.js'
import type { SqlDialect } from '../../store/database.js'
import { deleteByKeys, insertIfAbsent, retryOnLockConflict } from '../../store/dialect-helpers.js'
import { POLICY_TABLES, policyTenantDb } from '../policy-tables.js'
import {
  MAX_CAP_WINDOW_HOURS,
  assertCaps,
  judgeAttempt,
  type AttemptCap,
  type CapCount,
} from './attempt-cap.js'
import { parseInstant, type InstantInput } from '../../lib/instant.js'
import { assertRequest } from '../../lib/request.js'

const ATTEMPTS = POLICY_TABLES.callAttempts
const HEADS = POLICY_TABLES.callAttemptHeads
const E164 = /^\+[1-9]\d{1,14}$/
const RETRIES = 8

/** Options of {@link AttemptLedger}. */
export interface AttemptLedgerOptions {
  readonly db: Kysely<any>
  readonly dialect: SqlDialect
  readonly clock: Clock
  /** The deployment secret per-tenant number keys are derived from (at least 32 bytes). */
  readonly secret: Uint8Array
  /**
   * How old this process's read of a number's attempts may be for a dry run (or a refusal)
   * to be answered from it; 0 reads every time.
   * @defaultValue 1000
   */
  readonly recentMs?: number
  /** A monotonic millisecond timer. @defaultValue `performance.now` */
  readonly timer?: () => number
}

/** A number's attempts as this process last read (or wrote) them. */
interface RecentAttempts {
  /** Attempt instants, newest first: the newest `limit` of those after `after`. */
  readonly times: readonly number[]
  readonly after: number
  readonly limit: number
  /** When they were read (`timer`). */
  readonly readAt: number
}

/** A what-if read waiting for its batch. */
interface PendingRead {
  readonly key: string
  readonly after: number
  readonly limit: number
  resolve(times: number[]): void
  reject(error: unknown): void
}

/** Left by a release: covers no window (so every lookup reads again), and dates the release. */
const RELEASED: RecentAttempts = Object.freeze({ times: [], after: Infinity, limit: 0, readAt: 0 })

/** At most this many numbers are read in one query. */
const READ_BATCH = 500

/** Numbers whose recent attempts are remembered, per generation (see {@link RecentCache}). */
const RECENT_NUMBERS = 50_000

/** What {@link AttemptLedger.tryRecord} takes. */
export interface TryRecordRequest {
  readonly tenantId: string
  /** The callee in E.164. */
  readonly number: string
  /** When the attempt is placed (the decision instant): a Date, epoch ms or RFC 3339. */
  readonly at: InstantInput
  /** Every cap that applies; empty records without limit. */
  readonly caps: readonly AttemptCap[]
  /** Judge only: record nothing, lock nothing. @defaultValue false */
  readonly dryRun?: boolean
  /** The call the attempt belongs to. */
  readonly callId?: string
}

/** The attempt is allowed (and, unless a dry run, recorded). */
export interface AttemptRecorded {
  readonly allowed: true
  /** False in a dry run. */
  readonly recorded: boolean
  /** The attempt's id (for {@link AttemptLedger.release}); absent in a dry run. */
  readonly attemptId?: string
  /** Each cap's count including this attempt. */
  readonly counts: readonly CapCount[]
}

const NOTHING_TO_COUNT: AttemptRecorded = Object.freeze({
  allowed: true,
  recorded: false,
  counts: Object.freeze([]),
})

/** The attempt is refused: a cap is full. Nothing was recorded. */
export interface AttemptCapped {
  readonly allowed: false
  readonly recorded: false
  /** The cap that decides (the one that frees up last). */
  readonly cap: AttemptCap
  /** Attempts in that cap's window. */
  readonly count: number
  /** The first instant at which every cap allows an attempt again. */
  readonly nextAllowedAt: Date
  readonly counts: readonly CapCount[]
}

/** The outcome of {@link AttemptLedger.tryRecord}. */
export type AttemptDecision = AttemptRecorded | AttemptCapped

/**
 * The attempt ledger of every tenant (`cw.policy.attempts`).
 *
 * @example
 * ```ts
 * const caps = [{ id: 'tenant:24h', max: 3, windowHours: 24 }, { id: 'US-FL:24h', max: 3, windowHours: 24, citation: 'Fla. Stat. 501.616(6)(b)' }]
 * const r = await cw.policy.attempts.tryRecord({ tenantId: 'acme', number: '+13055550123', at: new Date(), caps })
 * if (!r.allowed) scheduleRetry(r.nextAllowedAt) // r.cap.id and r.count say why
 * ```
 */
export class AttemptLedger {
  readonly #options: AttemptLedgerOptions
  readonly #keys = new Map<string, Buffer>()
  readonly #recentMs: number
  readonly #timer: () => number
  /** Recent reads by `tenant number`. */
  readonly #recent = new RecentCache<string, RecentAttempts>(RECENT_NUMBERS)
  /** What-if reads waiting to go out together, per tenant (see {@link #readSoon}). */
  readonly #reads = new Map<string, PendingRead[]>()
  /** The recent-read key of attempts this process recorded, so a release can forget it. */
  readonly #recorded = new RecentCache<string, string>(RECENT_NUMBERS)

  constructor(options: AttemptLedgerOptions) {
    if (!(options.secret instanceof Uint8Array) || options.secret.length < 32) {
      throw new TypeError('AttemptLedger needs a secret of at least 32 bytes')
    }
    this.#options = options
    this.#recentMs = millisecondsOption('recentMs', options.recentMs, 1000)
    this.#timer = options.timer ?? (() => performance.now())
  }

  /**
   * Judges an attempt against `caps` and, when every cap has room, records it, atomically
   * across processes. A dry run judges without recording or locking.
   */
  async tryRecord(request: TryRecordRequest): Promise<AttemptDecision> {
    assertRequest(request, 'attempts.tryRecord')
    return this.tryRecordNow(request)
  }

  /**
   * {@link tryRecord} for hot paths: the decision itself when it can be made from this
   * process's recent reads (a dry run, or a refusal), a promise of it otherwise.
   *
   * @example
   * ```ts
   * const caps = [{ id: 'tenant:24h', max: 3, windowHours: 24 }]
   * const r = await cw.policy.attempts.tryRecordNow({ tenantId: 'acme', number: '+13055550123', at: new Date(), caps, dryRun: true })
   * ```
   */
  tryRecordNow(request: TryRecordRequest): Awaitable<AttemptDecision> {
    assertRequest(request, 'attempts.tryRecordNow')
    const { tenantId, caps, number } = request
    assertTenantId(tenantId)
    if (typeof number !== 'string' || !E164.test(number)) {
      throw new TypeError('the attempt ledger takes numbers in E.164')
    }
    const at = instant(request.at)
    assertCaps(caps)
    if (request.callId !== undefined && (typeof request.callId !== 'string' || request.callId.length > 128)) {
      throw new TypeError('callId must be a string of at most 128 characters')
    }
    // No cap applies (all turned off): nothing to count, nothing to record.
    if (caps.length === 0) return NOTHING_TO_COUNT
    let windowMs = 0
    let limit = 0
    for (const cap of caps) {
      windowMs = Math.max(windowMs, cap.windowHours * 3_600_000)
      limit = Math.max(limit, cap.max)
    }
    const recentKey = `${tenantId} ${number}`
    const recent = this.#recentTimes(recentKey, at - windowMs, limit)
    if (recent !== undefined) {
      const judged = judgeAttempt(recent, caps, at)
      if (request.dryRun === true || judged.exceeded !== undefined) return outcome(judged, false)
    }
    const key = this.#numberKey(tenantId, number)
    if (request.dryRun === true) {
      const readAt = this.#timer()
      return this.#readSoon(tenantId, key, at - windowMs, limit).then((times) => {
        this.#remember(recentKey, { times, after: at - windowMs, limit, readAt })
        return outcome(judgeAttempt(times, caps, at), false)
      })
    }
    return this.#record(request, { tenantId, key, recentKey, at, windowMs, limit })
  }

  async #record(
    request: TryRecordRequest,
    target: {
      readonly tenantId: string
      readonly key: string
      readonly recentKey: string
      readonly at: number
      readonly windowMs: number
      readonly limit: number
    },
  ): Promise<AttemptDecision> {
    const { tenantId, key, recentKey, at, windowMs, limit } = target
    const caps = request.caps
    return retryOnLockConflict(async () => {
      for (let attempt = 0; ; attempt++) {
        const decided = await this.#options.db.transaction().execute(async (trx) => {
          const db = policyTenantDb(trx, tenantId)
          if (!(await this.#lockHead(db, tenantId, key, at, attempt > 0))) return undefined
          const readAt = this.#timer()
          const times = await this.#times(trx, tenantId, key, at - windowMs, limit)
          const judged = judgeAttempt(times, caps, at)
          if (judged.exceeded !== undefined) {
            return { decision: outcome(judged, false), seen: { times, after: at - windowMs, limit, readAt } }
          }
          const id = newSortableId('ca', at)
          await db
            .insertInto(ATTEMPTS)
            .values({ tenant_id: tenantId, id, number_key: key, at, call_id: request.callId ?? null })
            .execute()
          await db
            .updateTable(HEADS)
            .set({ updated_at: at })
            .where('tenant_id', '=', tenantId)
            .where('number_key', '=', key)
            .execute()
          const decision: AttemptRecorded = {
            allowed: true,
            recorded: true,
            attemptId: id,
            counts: judged.counts.map((c) => ({ ...c, count: c.count + 1 })),
          }
          // What the ledger holds once this commits.
          return {
            decision,
            seen: { times: withAttempt(times, at, limit), after: at - windowMs, limit, readAt },
          }
        })
        if (decided !== undefined) {
          // Remembered only once committed; an attempt is forgotten again when released.
          this.#remember(recentKey, decided.seen)
          const attemptId = decided.decision.allowed ? decided.decision.attemptId : undefined
          if (attemptId !== undefined) this.#recorded.set(attemptId, recentKey)
          return decided.decision
        }
        // The head row does not exist yet: create it on its own, then decide again.
        await insertIfAbsent(policyTenantDb(this.#options.db, tenantId), HEADS, {
          tenant_id: tenantId,
          number_key: key,
          updated_at: at,
        })
      }
    }, RETRIES)
  }

  /**
   * Removes a recorded attempt, for a call that a later check denied after its attempt was
   * recorded. Returns whether it existed.
   */
  async release(request: { readonly tenantId: string; readonly attemptId: string }): Promise<boolean> {
    assertRequest(request, 'attempts.release')
    const { tenantId, attemptId } = request
    assertTenantId(tenantId)
    if (typeof attemptId !== 'string') throw new TypeError('attemptId must be a string')
    const result = await policyTenantDb(this.#options.db, tenantId)
      .deleteFrom(ATTEMPTS)
      .where('tenant_id', '=', tenantId)
      .where('id', '=', attemptId)
      .executeTakeFirst()
    const recentKey = this.#recorded.get(attemptId)
    // A marker newer than any read in flight: such a read, older than the release, is not kept.
    if (recentKey !== undefined) this.#recent.set(recentKey, { ...RELEASED, readAt: this.#timer() })
    return Number(result.numDeletedRows) > 0
  }

  /**
   * How many attempts to `number` lie in the window of `windowHours` ending at `at` (at
   * most 1000 are counted), for reports and support. Reads only.
   */
  async count(request: {
    readonly tenantId: string
    readonly number: string
    readonly at: InstantInput
    readonly windowHours: number
  }): Promise<number> {
    assertRequest(request, 'attempts.count')
    assertTenantId(request.tenantId)
    const key = this.#numberKey(request.tenantId, request.number)
    const at = instant(request.at)
    assertCaps([{ id: 'count', max: 1, windowHours: request.windowHours }])
    const times = await this.#times(
      this.#options.db,
      request.tenantId,
      key,
      at - request.windowHours * 3_600_000,
      1000,
    )
    return times.length
  }

  /**
   * Deletes a tenant's attempts older than `before` (and number heads untouched since then),
   * in batches. Attempts older than the longest window in use are never read again; the
   * default is the longest window any cap may have, {@link MAX_CAP_WINDOW_HOURS}.
   */
  async prune(request: {
    readonly tenantId: string
    /** @defaultValue now minus {@link MAX_CAP_WINDOW_HOURS} */
    readonly before?: InstantInput
    /** @defaultValue 1000 */
    readonly batchSize?: number
  }): Promise<{ readonly attempts: number; readonly heads: number }> {
    assertRequest(request, 'attempts.prune')
    const { tenantId } = request
    assertTenantId(tenantId)
    const before =
      request.before === undefined
        ? this.#options.clock.now().getTime() - MAX_CAP_WINDOW_HOURS * 3_600_000
        : instant(request.before, 'before')
    const batchSize = request.batchSize ?? 1000
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      throw new RangeError(`batchSize must be a whole number from 1 to 10000, got ${batchSize}`)
    }
    const db = policyTenantDb(this.#options.db, tenantId)
    const deleted = { attempts: 0, heads: 0 }
    for (const [table, key, column, counter] of [
      [ATTEMPTS, 'id', 'at', 'attempts'],
      [HEADS, 'number_key', 'updated_at', 'heads'],
    ] as const) {
      for (;;) {
        const rows = (await db
          .selectFrom(table)
          .select(key)
          .where('tenant_id', '=', tenantId)
          .where(column, '<', before)
          .limit(batchSize)
          .execute()) as Record<string, string>[]
        if (rows.length === 0) break
        const keys = rows.map((r) => r[key]!)
        // A head is deleted only if still untouched: a concurrent attempt may just have used it.
        deleted[counter] +=
          table === HEADS
            ? Number(
                (
                  await db
                    .deleteFrom(HEADS)
                    .where('tenant_id', '=', tenantId)
                    .where('number_key', 'in', keys)
                    .where('updated_at', '<', before)
                    .executeTakeFirst()
                ).numDeletedRows,
              )
            : await deleteByKeys(db, table, key, keys, { tenant_id: tenantId })
        if (rows.length < batchSize) break
      }
    }
    return deleted
  }

  /**
   * Locks the number's head row for the rest of the transaction; false when it does not
   * exist yet.
   */
  async #lockHead(
    db: Kysely<any>,
    tenantId: string,
    key: string,
    at: number,
    retried: boolean,
  ): Promise<boolean> {
    if (this.#options.dialect === 'mysql') {
      const row = await db
        .selectFrom(HEADS)
        .select('number_key')
        .where('tenant_id', '=', tenantId)
        .where('number_key', '=', key)
        .forUpdate()
        .executeTakeFirst()
      return row !== undefined
    }
    // SQLite has no row locks: a write as the transaction's first statement takes the
    // database's write lock now (waiting up to busy_timeout), before anything is read.
    const touched = await db
      .updateTable(HEADS)
      .set((eb) => ({ updated_at: eb.ref('updated_at') }))
      .where('tenant_id', '=', tenantId)
      .where('number_key', '=', key)
      .executeTakeFirst()
    if (Number(touched.numUpdatedRows) > 0) return true
    // Under the write lock there are no gap locks to deadlock on: create the row here.
    if (!retried) {
      await db.insertInto(HEADS).values({ tenant_id: tenantId, number_key: key, updated_at: at }).execute()
      return true
    }
    return false
  }

  async #times(
    db: Kysely<any> | Transaction<any>,
    tenantId: string,
    key: string,
    after: number,
    limit: number,
  ): Promise<number[]> {
    if (limit === 0) return []
    const rows = await policyTenantDb(db, tenantId)
      .selectFrom(ATTEMPTS)
      .select('at')
      .where('tenant_id', '=', tenantId)
      .where('number_key', '=', key)
      .where('at', '>', after)
      .orderBy('at', 'desc')
      .limit(limit)
      .execute()
    return rows.map((r) => Number(r.at))
  }

  /**
   * The newest `limit` attempts after `after` from a recent enough read, or `undefined` when
   * there is none that covers them.
   */
  #recentTimes(recentKey: string, after: number, limit: number): readonly number[] | undefined {
    if (this.#recentMs === 0) return undefined
    const recent = this.#recent.get(recentKey)
    if (recent === undefined || this.#timer() - recent.readAt >= this.#recentMs) return undefined
    // A read of a longer window and more rows holds every row a narrower read would return.
    if (recent.after > after || recent.limit < limit) return undefined
    const times = recent.times
    let end = 0
    while (end < times.length && end < limit && times[end]! > after) end += 1
    return end === times.length ? times : times.slice(0, end)
  }

  /**
   * {@link #times} for what-if runs, batched: the reads that concurrent decisions ask for
   * within one turn of the event loop go to the database as one query per tenant (and per
   * {@link READ_BATCH} numbers), instead of one each.
   */
  #readSoon(tenantId: string, key: string, after: number, limit: number): Promise<number[]> {
    return new Promise((resolve, reject) => {
      let queue = this.#reads.get(tenantId)
      if (queue === undefined) {
        this.#reads.set(tenantId, (queue = []))
        setImmediate(() => {
          this.#reads.delete(tenantId)
          this.#readBatch(tenantId, queue!).catch((error: unknown) => {
            for (const read of queue!) read.reject(error)
          })
        })
      }
      queue.push({ key, after, limit, resolve, reject })
    })
  }

  async #readBatch(tenantId: string, queue: readonly PendingRead[]): Promise<void> {
    for (let start = 0; start < queue.length; start += READ_BATCH) {
      const reads = queue.slice(start, start + READ_BATCH)
      const after = Math.min(...reads.map((r) => r.after))
      const keys = [...new Set(reads.map((r) => r.key))]
      const bound = keys.length * Math.max(...reads.map((r) => r.limit))
      const rows = await policyTenantDb(this.#options.db, tenantId)
        .selectFrom(ATTEMPTS)
        .select(['number_key', 'at'])
        .where('tenant_id', '=', tenantId)
        .where('number_key', 'in', keys)
        .where('at', '>', after)
        .orderBy('at', 'desc')
        .limit(bound + 1)
        .execute()
      if (rows.length > bound) {
        // Some number has more attempts in the window than any cap counts: read each alone.
        for (const read of reads) {
          read.resolve(await this.#times(this.#options.db, tenantId, read.key, read.after, read.limit))
        }
        continue
      }
      const byKey = new Map<string, number[]>()
      for (const row of rows) {
        const key = String(row.number_key)
        let times = byKey.get(key)
        if (times === undefined) byKey.set(key, (times = []))
        times.push(Number(row.at))
      }
      for (const read of reads) {
        const times = (byKey.get(read.key) ?? []).filter((t) => t > read.after)
        read.resolve(times.slice(0, read.limit))
      }
    }
  }

  #remember(recentKey: string, attempts: RecentAttempts): void {
    if (this.#recentMs === 0) return
    // A read that started before the one (or the release) remembered now is out of date.
    const known = this.#recent.get(recentKey)
    if (known !== undefined && known.readAt > attempts.readAt) return
    this.#recent.set(recentKey, attempts)
  }

  #numberKey(tenantId: string, number: string): string {
    if (typeof number !== 'string' || !E164.test(number)) {
      throw new TypeError('the attempt ledger takes numbers in E.164')
    }
    let key = this.#keys.get(tenantId)
    if (key === undefined) {
      key = Buffer.from(hkdfSync('sha256', this.#options.secret, 'callwarden/call-attempts', tenantId, 32))
      this.#keys.set(tenantId, key)
    }
    return createHmac('sha256', key).update(number).digest('hex')
  }
}

/** A dry run's outcome: allowed counts include the attempt, as if it were recorded. */
function outcome(judged: ReturnType<typeof judgeAttempt>, recorded: false): AttemptDecision {
  const { counts, exceeded } = judged
  if (exceeded === undefined) {
    return { allowed: true, recorded, counts: counts.map((c) => ({ ...c, count: c.count + 1 })) }
  }
  return {
    allowed: false,
    recorded: false,
    cap: exceeded.cap,
    count: exceeded.count,
    nextAllowedAt: exceeded.nextAllowedAt,
    counts,
  }
}

/** `times` (newest first, at most `limit`) with an attempt at `at` added. */
function withAttempt(times: readonly number[], at: number, limit: number): number[] {
  const all = [...times, at].sort((a, b) => b - a)
  return all.slice(0, limit)
}

function instant(value: unknown, field = 'at'): number {
  return parseInstant(value, field)
}
