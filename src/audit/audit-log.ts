/**
 * The append side of the audit trail: validates events, gives each its tenant's next
 * sequence number and chain hash, and stores it, with group commit.
 *
 * Concurrency: the tenant's `cw_audit_heads` row is locked by the first statement of every
 * append transaction, so appenders in any number of processes extend one chain in turn.
 * When this process wrote the head last, that statement is the head's update itself,
 * conditional on the head still being what this process wrote (number and hash); otherwise
 * `SELECT … FOR UPDATE` on MySQL/MariaDB, or on SQLite a write to the row, which takes the
 * database's write lock at once, as `BEGIN IMMEDIATE` would. The primary key (tenant_id,
 * seq) is the backstop: a second event with a taken number fails instead of forking the chain.
 *
 * Group commit: events appended concurrently in one process queue per tenant and are
 * written by one transaction (one head update and one multi-row insert); each caller's
 * promise resolves after that transaction commits.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import { systemClock, type Clock } from '../clock.js'
import { CallwardenError } from '../errors.js'
import { GLOBAL_AUDIT_TENANT_ID } from '../lib/tenant-id.js'
import { CALL_EVENT_PII_FIELDS, SECRET_FIELDS } from '../logger.js'
import type { SqlDialect } from '../store/database.js'
import { insertIfAbsent, isDuplicateKeyError, retryOnLockConflict } from '../store/dialect-helpers.js'
import type { AuditEventInput, AuditSink } from './audit-event.js'
import { GENESIS_HASH, chainHash } from './audit-chain.js'
import { insertEventRows, type EventKeyColumns, type EventRow } from './audit-event-rows.js'
import { AUDIT_TABLES, tenantDb } from './audit-tables.js'
import { canonicalEventFrom, canonicalEventParts, type CanonicalEventParts } from './canonical-json.js'
import { prepareAuditEvent } from './validate-audit-event.js'

/**
 * Whether a tenant is registered (`TenantRegistry.isRegistered`): audit trails exist only for
 * registered tenants and the global trail. `db`, when given, is the connection to read on (a
 * caller's transaction on SQLite, whose only connection it holds).
 */
export type AuditTenantCheck = (tenantId: string, db?: Kysely<any>) => boolean | PromiseLike<boolean>

/** Options of {@link AuditLog}. */
export interface AuditLogOptions {
  readonly db: Kysely<any>
  readonly dialect: SqlDialect
  /**
   * Refuses events of tenants it does not know (`ERR_TENANT_INVALID`), except those of the
   * global trail (`system`). Asked on every append: answer from a cache where possible.
   */
  readonly isRegistered: AuditTenantCheck
  /** @defaultValue the system clock */
  readonly clock?: Clock
  /**
   * Names redacted in `details` at any depth, in addition to credential and call-event
   * fields (pass `DataMap.piiColumnNames()`).
   * @defaultValue `[]`
   */
  readonly redactFields?: readonly string[]
  /**
   * Most events one group-commit transaction writes.
   * @defaultValue 1000
   */
  readonly maxBatch?: number
}

/** Options of {@link AuditLog.append}. */
export interface AppendOptions {
  /**
   * Append inside this transaction, so the audited change and its event commit or roll
   * back together. The tenant's chain stays locked until the transaction ends; keep it short.
   */
  readonly trx?: Transaction<any>
}

/** What {@link AuditLog.append} recorded. */
export interface AppendResult {
  readonly tenantId: string
  readonly seq: number
  readonly id: string
  readonly time: string
  readonly hash: string
}

/** The head of a tenant's chain. */
export interface ChainHead {
  readonly tenantId: string
  /** The last sequence number written; 0 before the first event. */
  readonly lastSeq: number
  readonly lastHash: string
  /** Events up to this number were removed by retention; 0 when none were. */
  readonly purgedThroughSeq: number
}

/** A validated event, serialised as far as it can be before it has a place in the chain. */
interface Body {
  readonly tenantId: string
  readonly parts: CanonicalEventParts
  readonly columns: EventKeyColumns
}

/** A tenant's chain head as this process last wrote it. */
interface KnownHead {
  readonly lastSeq: number
  readonly lastHash: string
}

interface Pending {
  readonly body: Body
  resolve(result: AppendResult): void
  reject(error: unknown): void
}

interface TenantQueue {
  items: Pending[]
  running: boolean
}

const RETRIES = 5

/**
 * The hash-chained, append-only audit log; the {@link AuditSink} every module writes to.
 *
 * @example
 * ```ts
 * const log = new AuditLog({ db, dialect: 'mysql', redactFields: dataMap.piiColumnNames() })
 * const { seq, hash } = await log.append({
 *   tenantId: 'acme',
 *   actor: { id: 'u-7', role: 'admin', sourceAddress: '10.0.0.8' },
 *   action: 'blacklist.add',
 *   target: { type: 'blacklist-entry', id: 'bl-42' },
 *   outcome: 'success',
 * })
 * // In the caller's own transaction: both rows commit, or neither.
 * await db.transaction().execute(async (trx) => {
 *   await trx.insertInto('blacklist').values(entry).execute()
 *   await log.append(event, { trx })
 * })
 * ```
 */
export class AuditLog implements AuditSink {
  readonly #db: Kysely<any>
  readonly #dialect: SqlDialect
  readonly #clock: Clock
  readonly #redact: ReadonlySet<string>
  readonly #maxBatch: number
  readonly #isRegistered: AuditTenantCheck
  readonly #queues = new Map<string, TenantQueue>()
  readonly #knownHeads = new Set<string>()
  readonly #lastWritten = new Map<string, KnownHead>()
  readonly #idle = new Set<() => void>()

  constructor(options: AuditLogOptions) {
    this.#db = options.db
    this.#dialect = options.dialect
    this.#clock = options.clock ?? systemClock
    if (typeof options.isRegistered !== 'function')
      throw new TypeError('isRegistered must be a function (tenant id) => boolean')
    this.#isRegistered = options.isRegistered
    this.#redact = new Set([...SECRET_FIELDS, ...CALL_EVENT_PII_FIELDS, ...(options.redactFields ?? [])])
    const maxBatch = options.maxBatch ?? 1000
    if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 10_000) {
      throw new TypeError(`maxBatch must be a whole number from 1 to 10000, got ${maxBatch}`)
    }
    this.#maxBatch = maxBatch
  }

  /**
   * Records one event. Resolves once it is durable, with its sequence number and hash;
   * rejects (and records nothing) for a malformed event (`ERR_AUDIT_EVENT_INVALID`), an
   * unregistered tenant (`ERR_TENANT_INVALID`) or when the database fails.
   */
  async append(event: AuditEventInput, options: AppendOptions = {}): Promise<AppendResult> {
    const body = bodyOf(prepareAuditEvent(event, this.#redact))
    // On SQLite a caller's transaction holds the only connection: the check reads through it.
    await this.assertRegistered(
      body.tenantId,
      options.trx !== undefined && this.#dialect !== 'mysql' ? options.trx : undefined,
    )
    if (options.trx !== undefined) {
      await this.#ensureHead(body.tenantId, options.trx)
      const [result] = await this.#write(options.trx, body.tenantId, [body])
      return result!
    }
    return new Promise<AppendResult>((resolve, reject) => {
      let queue = this.#queues.get(body.tenantId)
      if (queue === undefined) {
        queue = { items: [], running: false }
        this.#queues.set(body.tenantId, queue)
      }
      queue.items.push({ body, resolve, reject })
      if (!queue.running) {
        queue.running = true
        // Start on the next turn so that a burst of appends lands in one transaction.
        setImmediate(() => void this.#drain(body.tenantId, queue))
      }
    })
  }

  /**
   * Resolves when `tenantId` may have an audit trail (a registered tenant, or the global
   * trail); throws `ERR_TENANT_INVALID` otherwise.
   *
   * @internal
   */
  async assertRegistered(tenantId: string, db?: Kysely<any>): Promise<void> {
    if (tenantId === GLOBAL_AUDIT_TENANT_ID) return
    const known = this.#isRegistered(tenantId, db)
    if (known === true || (known !== false && (await known))) return
    throw new CallwardenError(
      'ERR_TENANT_INVALID',
      `no tenant '${tenantId}': audit trails exist for registered tenants and the global trail '${GLOBAL_AUDIT_TENANT_ID}' only`,
    )
  }

  /** Resolves when every queued append has been written (or has failed). */
  async flush(): Promise<void> {
    if ([...this.#queues.values()].every((q) => !q.running)) return
    await new Promise<void>((resolve) => this.#idle.add(resolve))
  }

  /** The head of a tenant's chain. */
  async head(tenantId: string): Promise<ChainHead> {
    const row = await tenantDb(this.#db, tenantId)
      .selectFrom(AUDIT_TABLES.heads)
      .select(['last_seq', 'last_hash', 'purged_through_seq'])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst()
    return {
      tenantId,
      lastSeq: Number(row?.last_seq ?? 0),
      lastHash: row?.last_hash ?? GENESIS_HASH,
      purgedThroughSeq: Number(row?.purged_through_seq ?? 0),
    }
  }

  async #drain(tenantId: string, queue: TenantQueue): Promise<void> {
    while (queue.items.length > 0) {
      const batch = queue.items.splice(0, this.#maxBatch)
      try {
        await this.#ensureHead(tenantId, this.#db)
        const results = await retryOnLockConflict(
          () =>
            this.#db.transaction().execute((trx) =>
              this.#write(
                trx,
                tenantId,
                batch.map((p) => p.body),
              ),
            ),
          RETRIES,
        )
        batch.forEach((p, i) => p.resolve(results[i]!))
      } catch (error) {
        for (const p of batch) p.reject(error)
      }
    }
    queue.running = false
    if (this.#queues.get(tenantId) === queue) this.#queues.delete(tenantId)
    if ([...this.#queues.values()].every((q) => !q.running)) {
      for (const resolve of this.#idle) resolve()
      this.#idle.clear()
    }
  }

  /**
   * Creates the tenant's head row on first use, in its own statement: creating it inside
   * the append transaction would let two first appenders deadlock on InnoDB gap locks.
   */
  async #ensureHead(tenantId: string, db: Kysely<any>): Promise<void> {
    if (this.#knownHeads.has(tenantId)) return
    // On SQLite a caller's transaction holds the only connection, so the row is created
    // inside it; on MySQL on a pooled connection of its own.
    const on = this.#dialect === 'mysql' ? this.#db : db
    await insertIfAbsent(tenantDb(on, tenantId), AUDIT_TABLES.heads, {
      tenant_id: tenantId,
      last_seq: 0,
      last_hash: GENESIS_HASH,
      purged_through_seq: 0,
      updated_at: this.#clock.now().getTime(),
    })
    if (db === this.#db || this.#dialect === 'mysql') this.#knownHeads.add(tenantId)
  }

  /**
   * Sequences, hashes and inserts `bodies` in `trx`, which must be a transaction.
   *
   * The transaction's first statement locks the tenant's head row. When this process wrote
   * the head last, that statement is already the head's update, made conditional on the
   * head being exactly as written (number and hash), and the events are sequenced before
   * the transaction begins; otherwise (first write, or another process moved the head) the
   * row is locked and read with `SELECT … FOR UPDATE` first. Either way the head cannot move
   * between the check and the commit, and a batch is never chained onto a head it did not see.
   */
  async #write(trx: Kysely<any>, tenantId: string, bodies: readonly Body[]): Promise<AppendResult[]> {
    const db = tenantDb(trx, tenantId)
    const now = this.#clock.now()
    const known = this.#lastWritten.get(tenantId)
    this.#lastWritten.delete(tenantId)
    let head: KnownHead | undefined
    let rows: EventRow[] | undefined
    if (known !== undefined) {
      rows = sequence(known, bodies, now)
      if (await moveHead(db, tenantId, known, rows, now)) head = known
    }
    if (head === undefined) {
      head = await lockHead(db, this.#dialect, tenantId)
      if (head === undefined) {
        throw new CallwardenError(
          'ERR_AUDIT_CHAIN_CONFLICT',
          `the chain head of tenant '${tenantId}' is missing`,
        )
      }
      rows = sequence(head, bodies, now)
      if (!(await moveHead(db, tenantId, head, rows, now))) {
        throw new CallwardenError(
          'ERR_AUDIT_CHAIN_CONFLICT',
          `tenant '${tenantId}': the chain head moved from ${head.lastSeq} while locked; nothing was written`,
        )
      }
    }
    const written = rows!
    try {
      await insertEventRows(trx, this.#dialect, tenantId, written)
    } catch (error) {
      if (isDuplicateKeyError(error)) {
        throw new CallwardenError(
          'ERR_AUDIT_CHAIN_CONFLICT',
          `tenant '${tenantId}': sequence numbers ${head.lastSeq + 1}..${head.lastSeq + written.length} are already taken; nothing was written`,
          { cause: error },
        )
      }
      throw error
    }
    const last = written[written.length - 1]!
    // A hint for the next write only: if this transaction does not commit, the next
    // conditional head update finds another head and falls back to locking and reading it.
    this.#lastWritten.set(tenantId, { lastSeq: last.seq, lastHash: last.hash })
    const time = now.toISOString()
    return written.map((r) => ({ tenantId, seq: r.seq, id: r.id, time, hash: r.hash }))
  }
}

/**
 * Locks the tenant's head row for the rest of the transaction and reads it.
 *
 * @internal
 */
export async function lockHead(
  db: Kysely<any>,
  dialect: SqlDialect,
  tenantId: string,
): Promise<{ lastSeq: number; lastHash: string } | undefined> {
  let query = db
    .selectFrom(AUDIT_TABLES.heads)
    .select(['last_seq', 'last_hash'])
    .where('tenant_id', '=', tenantId)
  if (dialect === 'mysql') {
    query = query.forUpdate()
  } else {
    // SQLite has no row locks: a write as the transaction's first statement takes the
    // database's write lock now (waiting up to busy_timeout), before anything is read.
    await db
      .updateTable(AUDIT_TABLES.heads)
      .set((eb) => ({ last_seq: eb.ref('last_seq') }))
      .where('tenant_id', '=', tenantId)
      .execute()
  }
  const row = await query.executeTakeFirst()
  return row === undefined ? undefined : { lastSeq: Number(row.last_seq), lastHash: String(row.last_hash) }
}

function bodyOf(prepared: ReturnType<typeof prepareAuditEvent>): Body {
  const e = prepared.event
  return {
    tenantId: e.tenantId,
    parts: canonicalEventParts(e, prepared.detailsJson),
    columns: {
      actorId: e.actor.id,
      actorRole: e.actor.role,
      action: e.action,
      targetType: e.target.type,
      targetId: e.target.id,
      outcome: e.outcome,
    },
  }
}

/** Gives `bodies` the sequence numbers, ids, time and chain hashes that follow `head`. */
function sequence(head: KnownHead, bodies: readonly Body[], now: Date): EventRow[] {
  const ms = now.getTime()
  const time = now.toISOString()
  let seq = head.lastSeq
  let prev = head.lastHash
  const rows: EventRow[] = new Array<EventRow>(bodies.length)
  for (let i = 0; i < bodies.length; i++) {
    const body = bodies[i]!
    seq += 1
    const id = randomUUID()
    const canonical = canonicalEventFrom(body.parts, id, seq, time)
    prev = chainHash(prev, canonical)
    rows[i] = { seq, id, time: ms, columns: body.columns, body: canonical, hash: prev }
  }
  return rows
}

/**
 * Moves the tenant's head from `from` to the last of `rows`, if it is still exactly `from`;
 * the update locks the row for the rest of the transaction. True when it moved.
 */
async function moveHead(
  db: Kysely<any>,
  tenantId: string,
  from: KnownHead,
  rows: readonly EventRow[],
  now: Date,
): Promise<boolean> {
  const last = rows[rows.length - 1]!
  const moved = await db
    .updateTable(AUDIT_TABLES.heads)
    .set({ last_seq: last.seq, last_hash: last.hash, updated_at: now.getTime() })
    .where('tenant_id', '=', tenantId)
    .where('last_seq', '=', from.lastSeq)
    .where('last_hash', '=', from.lastHash)
    .executeTakeFirst()
  return Number(moved.numUpdatedRows) === 1
}
