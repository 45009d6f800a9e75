/**
 * `cw.audit`: the audit trail assembled — append, auditor queries, online verification,
 * bundle export, inclusion proofs, checkpoints and retention, over one database, one
 * object store for anchors and one signing key.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { BlobStore } from '../blob/blob-store.js'
import { systemClock, type Clock } from '../clock.js'
import { CallwardenError } from '../errors.js'
import { assertTenantId } from '../lib/tenant-id.js'
import type { Logger } from '../logger.js'
import type { SqlDialect } from '../store/database.js'
import type { LeaseManager } from '../store/lease-manager.js'
import {
  AUDIT_OUTCOMES,
  type AuditActor,
  type AuditEvent,
  type AuditEventInput,
  type AuditOutcome,
  type AuditSink,
} from './audit-event.js'
import { bundleStream, writeBundleFile, type BundleManifest } from './audit-bundle.js'
import { GENESIS_HASH } from './audit-chain.js'
import {
  AuditCheckpointer,
  anchorKey,
  type AnchorLockMode,
  type CheckpointRunResult,
} from './audit-checkpointer.js'
import {
  MANIFEST_JWS_TYPE,
  checkpointVersion,
  hashesAnchorKey,
  type StoredCheckpoint,
} from './audit-checkpoint.js'
import { AuditKeys, type AuditJwks, type AuditKeySource } from './audit-keys.js'
import {
  AuditLog,
  lockHead,
  type AppendOptions,
  type AppendResult,
  type AuditTenantCheck,
  type ChainHead,
} from './audit-log.js'
import { PROOF_TYPE, type InclusionProof } from './audit-proof.js'
import { AUDIT_TABLES, tenantDb } from './audit-tables.js'
import {
  verifyChain,
  verifyChainPaged,
  type AuditProblem,
  type AuditVerifyReport,
  type ChainRecord,
  type HashListSource,
} from './audit-verifier.js'
import { canonicalJson } from './canonical-json.js'
import { MERKLE_LEAF_SPAN, merklePath, merkleSpanLeaves } from './merkle-tree.js'

/** Options of {@link AuditTrail}. */
export interface AuditTrailOptions {
  readonly db: Kysely<any>
  readonly dialect: SqlDialect
  /**
   * Whether a tenant is registered; every call naming another tenant (but the global trail,
   * `system`) is refused with `ERR_TENANT_INVALID`. Pass the tenant registry's cached read,
   * `(id, db) => tenants.isRegistered(id, db)`: it is asked on every append.
   */
  readonly isRegistered: AuditTenantCheck
  readonly leases: LeaseManager
  /** Where checkpoint anchors go; none when absent. */
  readonly anchors?: BlobStore
  readonly keys: AuditKeySource
  /** @defaultValue the system clock */
  readonly clock?: Clock
  readonly logger?: Logger
  /** Names redacted in `details` (the data map's PII columns). */
  readonly redactFields?: readonly string[]
  /** @defaultValue 1000 */
  readonly maxBatch?: number
  /** @defaultValue 365 */
  readonly retentionDays?: number
  readonly checkpoint?: {
    /** @defaultValue 10000 */
    readonly everyEvents?: number
    /** @defaultValue 60 */
    readonly intervalSeconds?: number
    /** @defaultValue `'*\/15 * * * * *'` */
    readonly cron?: string
  }
  readonly anchor?: {
    /** @defaultValue `'COMPLIANCE'` */
    readonly lockMode?: AnchorLockMode
    /** @defaultValue 400 */
    readonly retentionDays?: number
    /** @defaultValue true */
    readonly lockIfSupported?: boolean
  }
}

/** An auditor's query. */
export interface AuditQuery {
  readonly tenantId: string
  /** Who asks: the query is itself recorded as an `audit.query` event by this actor. */
  readonly by: AuditActor
  /** Events at or after this instant. */
  readonly from?: Date
  /** Events before this instant. */
  readonly to?: Date
  readonly actorId?: string
  /** One action, or any of several. */
  readonly action?: string | readonly string[]
  readonly targetType?: string
  readonly targetId?: string
  readonly outcome?: AuditOutcome
  /** @defaultValue 100 (at most 1000) */
  readonly limit?: number
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string
}

/** A page of query results, newest first. */
export interface AuditPage {
  readonly events: readonly AuditEvent[]
  /** Pass as `cursor` for the next page; absent on the last one. */
  readonly nextCursor?: string
}

/** An exported bundle, ready to stream or write. */
export interface AuditBundleExport {
  readonly manifest: BundleManifest
  /** The zip as a stream (read it once). */
  readonly stream: NodeJS.ReadableStream
  /** Writes the zip to a file. */
  writeTo(path: string): Promise<void>
}

/** What {@link AuditTrail.purge} did. */
export interface AuditPurgeResult {
  readonly tenantId: string
  readonly status: 'purged' | 'nothing-due' | 'busy' | 'aborted'
  /** Events up to here are gone; a signed checkpoint ends there. */
  readonly purgedThroughSeq: number
  readonly deleted: number
}

const SYSTEM: AuditActor = Object.freeze({ id: 'system', role: 'system' })
const READ_BATCH = 5000
const DELETE_BATCH = 2000

/**
 * The audit trail.
 *
 * @example
 * ```ts
 * await cw.audit.append({ tenantId: 'acme', actor, action: 'recording.play', target, outcome: 'success' })
 * await cw.audit.checkpoint('acme', { force: true })
 * const page = await cw.audit.query({ tenantId: 'acme', by: auditor, action: 'recording.play' })
 * const report = await cw.audit.verify({ tenantId: 'acme' }) // { ok: true, ... }
 * await (await cw.audit.exportBundle({ tenantId: 'acme' })).writeTo('acme-audit.zip')
 * const proof = await cw.audit.prove({ tenantId: 'acme', seq: 1 })
 * ```
 */
export class AuditTrail implements AuditSink {
  readonly log: AuditLog
  readonly checkpointer: AuditCheckpointer
  readonly #db: Kysely<any>
  readonly #dialect: SqlDialect
  readonly #leases: LeaseManager
  readonly #anchors: BlobStore | undefined
  readonly #clock: Clock
  readonly #keySource: AuditKeySource
  readonly #retentionDays: number
  readonly #cron: string
  #keys: Promise<AuditKeys> | undefined
  readonly #tasks = new Set<{ stop(): Promise<void> }>()

  constructor(options: AuditTrailOptions) {
    this.#db = options.db
    this.#dialect = options.dialect
    this.#leases = options.leases
    this.#anchors = options.anchors
    this.#clock = options.clock ?? systemClock
    this.#keySource = options.keys
    this.#retentionDays = options.retentionDays ?? 365
    this.#cron = options.checkpoint?.cron ?? '*/15 * * * * *'
    this.log = new AuditLog({
      db: options.db,
      dialect: options.dialect,
      isRegistered: options.isRegistered,
      clock: this.#clock,
      ...(options.redactFields === undefined ? {} : { redactFields: options.redactFields }),
      ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
    })
    this.checkpointer = new AuditCheckpointer({
      db: options.db,
      keys: () => this.keys(),
      leases: options.leases,
      clock: this.#clock,
      ...(options.anchors === undefined ? {} : { anchors: options.anchors }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...options.checkpoint,
      ...options.anchor,
    })
  }

  /** The signing key, loaded (or created, when configured to) on first use. */
  keys(): Promise<AuditKeys> {
    this.#keys ??= AuditKeys.load(this.#keySource).catch((error: unknown) => {
      this.#keys = undefined
      throw error
    })
    return this.#keys
  }

  /** The JWKS that verifies this trail's checkpoints and bundles. */
  async jwks(): Promise<AuditJwks> {
    return (await this.keys()).jwks()
  }

  /** Records an event (see {@link AuditLog.append}). */
  append(event: AuditEventInput, options?: AppendOptions): Promise<AppendResult> {
    return this.log.append(event, options)
  }

  /** The head of a tenant's chain. */
  async head(tenantId: string): Promise<ChainHead> {
    await this.#assertTrail(tenantId)
    return this.log.head(tenantId)
  }

  /** Signs (and anchors) the checkpoints due for a tenant; `force` signs whatever is pending. */
  async checkpoint(
    tenantId: string,
    options: { force?: boolean; signal?: AbortSignal } = {},
  ): Promise<CheckpointRunResult> {
    await this.#assertTrail(tenantId)
    return this.checkpointer.run(tenantId, options)
  }

  /**
   * Starts the checkpoint schedule (node-cron, `audit.checkpoint.cron`) over every tenant
   * in `cw_tenants` and every tenant this process appended to. Stopped by {@link close}.
   */
  startScheduler(): { stop(): Promise<void> } {
    const task = this.checkpointer.schedule(this.#cron, () => this.#tenantIds())
    this.#tasks.add(task)
    return task
  }

  /** Tenant checkpoints as stored, in number order. */
  async checkpoints(tenantId: string): Promise<StoredCheckpoint[]> {
    await this.#assertTrail(tenantId)
    const rows = await tenantDb(this.#db, tenantId)
      .selectFrom(AUDIT_TABLES.checkpoints)
      .select(CHECKPOINT_COLUMNS)
      .where('tenant_id', '=', tenantId)
      .orderBy('n')
      .execute()
    return rows.map(checkpointOf)
  }

  /**
   * An auditor's query: filters, newest first, cursor pagination, one tenant only. The
   * query is recorded (`audit.query`, with the filter) before any result is returned.
   */
  async query(filter: AuditQuery): Promise<AuditPage> {
    if (filter === null || typeof filter !== 'object') throw new TypeError('query needs a filter object')
    await this.#assertTrail(filter.tenantId)
    const limit = filter.limit ?? 100
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw queryInvalid('limit', 'a whole number from 1 to 1000')
    for (const field of ['from', 'to'] as const) {
      const v = filter[field]
      if (v !== undefined && !(v instanceof Date && !Number.isNaN(v.getTime())))
        throw queryInvalid(field, 'a valid Date')
    }
    for (const field of ['actorId', 'targetType', 'targetId'] as const) {
      const v = filter[field]
      if (v !== undefined && (typeof v !== 'string' || v.length === 0 || v.length > 191)) {
        throw queryInvalid(field, 'a non-empty string of at most 191 characters')
      }
    }
    const actions =
      filter.action === undefined
        ? undefined
        : typeof filter.action === 'string'
          ? [filter.action]
          : [...filter.action]
    if (
      actions !== undefined &&
      (actions.length === 0 ||
        actions.length > 50 ||
        actions.some((a) => typeof a !== 'string' || a.length > 100))
    ) {
      throw queryInvalid('action', 'an action name or a list of 1-50 action names')
    }
    if (filter.outcome !== undefined && !AUDIT_OUTCOMES.includes(filter.outcome)) {
      throw queryInvalid('outcome', `one of ${AUDIT_OUTCOMES.join(', ')}`)
    }
    const described = {
      from: filter.from?.toISOString(),
      to: filter.to?.toISOString(),
      actorId: filter.actorId,
      action: actions,
      targetType: filter.targetType,
      targetId: filter.targetId,
      outcome: filter.outcome,
    }
    const digest = createHash('sha256').update(canonicalJson(described)).digest('base64url').slice(0, 16)
    let before: number | undefined
    if (filter.cursor !== undefined) {
      const c = decodeCursor(filter.cursor)
      if (c === undefined || c.f !== digest)
        throw queryInvalid('cursor', 'the nextCursor of a query with the same filter')
      before = c.b
    }
    await this.append({
      tenantId: filter.tenantId,
      actor: filter.by,
      action: 'audit.query',
      target: { type: 'audit-log', id: filter.tenantId },
      outcome: 'success',
      details: { filter: described, limit, ...(before === undefined ? {} : { beforeSeq: before }) },
    })
    let q = tenantDb(this.#db, filter.tenantId)
      .selectFrom(AUDIT_TABLES.events)
      .select(['seq', 'body'])
      .where('tenant_id', '=', filter.tenantId)
    if (before !== undefined) q = q.where('seq', '<', before)
    if (filter.from !== undefined) q = q.where('time', '>=', filter.from.getTime())
    if (filter.to !== undefined) q = q.where('time', '<', filter.to.getTime())
    if (filter.actorId !== undefined) q = q.where('actor_id', '=', filter.actorId)
    if (actions !== undefined) q = q.where('action', 'in', actions)
    if (filter.targetType !== undefined) q = q.where('target_type', '=', filter.targetType)
    if (filter.targetId !== undefined) q = q.where('target_id', '=', filter.targetId)
    if (filter.outcome !== undefined) q = q.where('outcome', '=', filter.outcome)
    const rows = await q
      .orderBy('seq', 'desc')
      .limit(limit + 1)
      .execute()
    const page = rows.slice(0, limit)
    const events = page.map((r) => JSON.parse(r.body) as AuditEvent)
    const last = page[page.length - 1]
    return rows.length > limit && last !== undefined
      ? { events, nextCursor: encodeCursor({ b: Number(last.seq), f: digest }) }
      : { events }
  }

  /**
   * Verifies a tenant's trail in the database: every checkpoint's signature and links,
   * every event's hash, sequence and key columns, the signed heads and Merkle roots, and
   * (with an anchor store) that no anchored checkpoint is missing from the database.
   */
  async verify(options: { tenantId: string }): Promise<AuditVerifyReport> {
    const tenantId = options?.tenantId
    // An unknown tenant has no trail to call intact.
    await this.#assertTrail(tenantId)
    const db = tenantDb(this.#db, tenantId)
    const head = await this.log.head(tenantId)
    const rows = await db
      .selectFrom(AUDIT_TABLES.checkpoints)
      .select(CHECKPOINT_COLUMNS)
      .where('tenant_id', '=', tenantId)
      .orderBy('n')
      .execute()
    const checkpoints = rows.map((r) => ({
      jws: String(r.jws),
      columns: {
        n: Number(r.n),
        fromSeq: Number(r.from_seq),
        toSeq: Number(r.to_seq),
        headHash: String(r.head_hash),
        merkleRoot: String(r.merkle_root),
        kid: String(r.kid),
        createdAt: Number(r.created_at),
        anchorKey: r.anchor_key == null ? null : String(r.anchor_key),
      },
    }))
    const extra: AuditProblem[] = []
    if (this.#anchors !== undefined) {
      const lastN = checkpoints.length === 0 ? 0 : checkpoints[checkpoints.length - 1]!.columns.n
      const anchored = await this.#anchoredNumbers(tenantId)
      const beyond = anchored.filter((n) => n > lastN)
      if (beyond.length > 0) {
        const lastTo = checkpoints.length === 0 ? 0 : checkpoints[checkpoints.length - 1]!.columns.toSeq
        extra.push({
          kind: 'checkpoint-missing',
          seq: lastTo + 1,
          checkpoint: beyond[0]!,
          message: `checkpoints ${beyond.join(', ')} are anchored in ${this.#anchors.location} but missing from the database`,
        })
      }
    }
    const signedLast = checkpoints.length === 0 ? 0 : checkpoints[checkpoints.length - 1]!.columns.toSeq
    const startSeq = head.purgedThroughSeq + 1
    const common = {
      tenantId,
      source: 'database',
      jwks: await this.jwks(),
      checkpoints,
      startSeq,
      expectedLastSeq: Math.max(head.lastSeq, head.purgedThroughSeq),
      purgedThroughSeq: head.purgedThroughSeq,
      // The events run from the purged range to the head: the last purge must be recorded.
      checkPurgeRecord: true,
      extraProblems: extra,
      hashLists: this.#hashLists(tenantId),
    } as const
    const rowsFrom = (fromSeq: number) => this.#eventRows(tenantId, fromSeq, Number.MAX_SAFE_INTEGER)
    // An intact trail is verified page by page in bounded memory; only when something does
    // not verify are all events read again, to find and name the first damage.
    const intact = await verifyChainPaged({
      ...common,
      pages: (async function* () {
        for await (const batch of rowsFrom(startSeq)) yield batch.map((row) => recordOf(row, tenantId))
      })(),
      ...(head.lastSeq >= signedLast ? { expectedHeadHash: head.lastHash } : {}),
    })
    if (intact !== undefined) return intact
    const records: ChainRecord[] = []
    for await (const batch of rowsFrom(startSeq)) {
      for (const row of batch) records.push(recordOf(row, tenantId))
    }
    return verifyChain({
      ...common,
      records,
      ...(head.lastSeq >= signedLast && records.length > 0 ? { expectedHeadHash: head.lastHash } : {}),
    })
  }

  /**
   * Exports a tenant's trail as a bundle for offline verification. `from`/`to` select by
   * event time; the range is widened to whole checkpoint ranges so that every Merkle root in
   * it can be checked. The export is itself recorded (`audit.export`) first.
   */
  async exportBundle(options: {
    tenantId: string
    from?: Date
    to?: Date
    by?: AuditActor
  }): Promise<AuditBundleExport> {
    const tenantId = options?.tenantId
    await this.#assertTrail(tenantId)
    await this.append({
      tenantId,
      actor: options.by ?? SYSTEM,
      action: 'audit.export',
      target: { type: 'audit-log', id: tenantId },
      outcome: 'success',
      details: { from: options.from?.toISOString(), to: options.to?.toISOString() },
    })
    const db = tenantDb(this.#db, tenantId)
    const head = await this.log.head(tenantId)
    const checkpoints = await this.checkpoints(tenantId)
    const lastSigned = checkpoints[checkpoints.length - 1]
    const align = (seq: number, end: boolean): number => {
      const c = checkpoints.find((x) => x.fromSeq <= seq && seq <= x.toSeq)
      if (c !== undefined) return end ? c.toSeq : c.fromSeq
      return end ? head.lastSeq : (lastSigned?.toSeq ?? 0) + 1
    }
    let fromSeq = head.purgedThroughSeq + 1
    let toSeq = head.lastSeq
    if (options.from !== undefined) {
      const r = await db
        .selectFrom(AUDIT_TABLES.events)
        .select((eb) => eb.fn.min('seq').as('s'))
        .where('tenant_id', '=', tenantId)
        .where('time', '>=', options.from.getTime())
        .executeTakeFirst()
      fromSeq = r?.s == null ? head.lastSeq + 1 : Math.max(fromSeq, align(Number(r.s), false))
    }
    if (options.to !== undefined) {
      const r = await db
        .selectFrom(AUDIT_TABLES.events)
        .select((eb) => eb.fn.max('seq').as('s'))
        .where('tenant_id', '=', tenantId)
        .where('time', '<', options.to.getTime())
        .executeTakeFirst()
      toSeq = r?.s == null ? fromSeq - 1 : align(Number(r.s), true)
    }
    if (toSeq < fromSeq) toSeq = fromSeq - 1
    const headRow =
      toSeq >= fromSeq
        ? await db
            .selectFrom(AUDIT_TABLES.events)
            .select('hash')
            .where('tenant_id', '=', tenantId)
            .where('seq', '=', toSeq)
            .executeTakeFirst()
        : undefined
    const keys = await this.keys()
    const manifest: BundleManifest = {
      v: 1,
      tenantId,
      exportedAt: this.#clock.now().toISOString(),
      fromSeq,
      toSeq,
      eventCount: Math.max(0, toSeq - fromSeq + 1),
      headHash: headRow?.hash ?? checkpoints.find((c) => c.toSeq === fromSeq - 1)?.headHash ?? GENESIS_HASH,
      lastCheckpoint: lastSigned?.n ?? 0,
      purgedThroughSeq: head.purgedThroughSeq,
    }
    const manifestJws = await keys.sign(MANIFEST_JWS_TYPE, canonicalJson(manifest))
    const rows = this.#eventRows(tenantId, fromSeq, toSeq)
    const events = (async function* () {
      for await (const batch of rows)
        for (const r of batch) yield { canonical: String(r.body), hash: String(r.hash) }
    })()
    // The hash lists of the version 3 checkpoints whose ranges the bundle holds, read one at
    // a time as the zip is written.
    const listed = checkpoints.filter(
      (c) => c.fromSeq >= fromSeq && c.toSeq <= toSeq && checkpointVersion(c.jws) === 3,
    )
    const stored = this.#hashLists(tenantId).stored
    const hashLists = (async function* () {
      for (const c of listed) {
        const hashes = await stored(c.n, 32 * (c.toSeq - c.fromSeq + 1))
        if (hashes !== undefined) yield { n: c.n, hashes }
      }
    })()
    const stream = bundleStream({ manifest, manifestJws, jwks: keys.jwks(), checkpoints, events, hashLists })
    return { manifest, stream, writeTo: (path) => writeBundleFile(stream, path) }
  }

  /**
   * An inclusion proof for event `seq` against the signed checkpoint that covers it.
   * Throws `ERR_AUDIT_PROOF_UNAVAILABLE` for an unknown or purged event, or one no
   * checkpoint covers yet.
   */
  async prove(options: { tenantId: string; seq: number }): Promise<InclusionProof> {
    const tenantId = options?.tenantId
    await this.#assertTrail(tenantId)
    const seq = options.seq
    if (!Number.isSafeInteger(seq) || seq < 1)
      throw new TypeError(`seq must be a positive whole number, got ${String(seq)}`)
    const db = tenantDb(this.#db, tenantId)
    const head = await this.log.head(tenantId)
    if (seq <= head.purgedThroughSeq) {
      throw unavailable(
        `event ${seq} of tenant '${tenantId}' was purged by retention (through ${head.purgedThroughSeq})`,
      )
    }
    const row = await db
      .selectFrom(AUDIT_TABLES.checkpoints)
      .select(CHECKPOINT_COLUMNS)
      .where('tenant_id', '=', tenantId)
      .where('from_seq', '<=', seq)
      .where('to_seq', '>=', seq)
      .executeTakeFirst()
    if (row === undefined) {
      throw unavailable(
        seq > head.lastSeq
          ? `tenant '${tenantId}' has no event ${seq} (its last is ${head.lastSeq})`
          : `event ${seq} of tenant '${tenantId}' is not yet covered by a signed checkpoint`,
      )
    }
    const cp = checkpointOf(row)
    const leaves = await db
      .selectFrom(AUDIT_TABLES.events)
      .select(['seq', 'hash', 'body'])
      .where('tenant_id', '=', tenantId)
      .where('seq', '>=', Math.max(cp.fromSeq - 1, 1))
      .where('seq', '<=', cp.toSeq)
      .orderBy('seq')
      .execute()
    const inRange = leaves.filter((l) => Number(l.seq) >= cp.fromSeq)
    const target = inRange.find((l) => Number(l.seq) === seq)
    if (target === undefined || inRange.length !== cp.toSeq - cp.fromSeq + 1) {
      throw unavailable(
        `events ${cp.fromSeq}..${cp.toSeq} of tenant '${tenantId}' are incomplete; run audit verify`,
      )
    }
    const prevHash =
      seq === 1
        ? GENESIS_HASH
        : (leaves.find((l) => Number(l.seq) === seq - 1)?.hash ??
          (await this.checkpoints(tenantId)).find((c) => c.toSeq === seq - 1)?.headHash)
    if (prevHash === undefined)
      throw unavailable(`the hash before event ${seq} of tenant '${tenantId}' is unknown`)
    const index = seq - cp.fromSeq
    const hashes = inRange.map((l) => String(l.hash))
    const common = {
      type: PROOF_TYPE,
      event: JSON.parse(String(target.body)) as AuditEvent,
      prevHash: String(prevHash),
      hash: String(target.hash),
      checkpoint: cp.jws,
    } as const
    const version = checkpointVersion(cp.jws)
    if (version === 1) {
      return { ...common, v: 1, leafIndex: index, treeSize: hashes.length, path: merklePath(hashes, index) }
    }
    const leafIndex = Math.floor(index / MERKLE_LEAF_SPAN)
    const spanLeaves = merkleSpanLeaves(hashes)
    return {
      ...common,
      v: version === 3 ? 3 : 2,
      span: hashes.slice(leafIndex * MERKLE_LEAF_SPAN, (leafIndex + 1) * MERKLE_LEAF_SPAN),
      leafIndex,
      treeSize: spanLeaves.length,
      path: merklePath(spanLeaves, leafIndex),
    }
  }

  /**
   * Retention: removes a tenant's events older than `olderThan` (default: the configured
   * retention, 12 months) up to the end of the last signed checkpoint issued before then.
   * That checkpoint stays and anchors the rest of the chain; the purged range is kept in
   * the chain head, reported by verification and recorded as a `purge.run` event.
   * Resumable and idempotent: a re-run finishes an interrupted purge.
   */
  async purge(options: {
    tenantId: string
    olderThan?: Date
    signal?: AbortSignal
    by?: AuditActor
  }): Promise<AuditPurgeResult> {
    const tenantId = options?.tenantId
    await this.#assertTrail(tenantId)
    const cutoff =
      options.olderThan ?? new Date(this.#clock.now().getTime() - this.#retentionDays * 86_400_000)
    const lease = await this.#leases.tryAcquire(`audit-retention:${tenantId}`, 60_000)
    const head0 = await this.log.head(tenantId)
    if (lease === undefined)
      return { tenantId, status: 'busy', purgedThroughSeq: head0.purgedThroughSeq, deleted: 0 }
    try {
      const db = tenantDb(this.#db, tenantId)
      const anchor = await db
        .selectFrom(AUDIT_TABLES.checkpoints)
        .select(['n', 'to_seq'])
        .where('tenant_id', '=', tenantId)
        .where('created_at', '<', cutoff.getTime())
        .orderBy('n', 'desc')
        .limit(1)
        .executeTakeFirst()
      const through = Math.max(head0.purgedThroughSeq, Number(anchor?.to_seq ?? 0))
      // The intent is recorded first, so a crash leaves a purge a re-run finishes.
      if (through > head0.purgedThroughSeq) {
        await this.#leases.fenced(lease, async (trx) => {
          const t = tenantDb(trx, tenantId)
          await lockHead(t, this.#dialect, tenantId)
          await t
            .updateTable(AUDIT_TABLES.heads)
            .set({ purged_through_seq: through })
            .where('tenant_id', '=', tenantId)
            .where('purged_through_seq', '<', through)
            .execute()
        })
      }
      let deleted = 0
      const min = await db
        .selectFrom(AUDIT_TABLES.events)
        .select((eb) => eb.fn.min('seq').as('s'))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst()
      for (let from = Number(min?.s ?? through + 1); from <= through; from += DELETE_BATCH) {
        if (options.signal?.aborted === true)
          return { tenantId, status: 'aborted', purgedThroughSeq: through, deleted }
        const result = await this.#leases.fenced(lease, (trx) =>
          tenantDb(trx, tenantId)
            .deleteFrom(AUDIT_TABLES.events)
            .where('tenant_id', '=', tenantId)
            .where('seq', '>=', from)
            .where('seq', '<=', Math.min(through, from + DELETE_BATCH - 1))
            .executeTakeFirst(),
        )
        deleted += Number(result.numDeletedRows)
      }
      if (through === head0.purgedThroughSeq && deleted === 0) {
        return { tenantId, status: 'nothing-due', purgedThroughSeq: through, deleted }
      }
      await this.append({
        tenantId,
        actor: options.by ?? SYSTEM,
        action: 'purge.run',
        target: { type: 'audit-log', id: tenantId },
        outcome: 'success',
        details: {
          purgedThroughSeq: through,
          anchorCheckpoint: Number(anchor?.n ?? 0),
          deleted,
          olderThan: cutoff.toISOString(),
        },
      })
      return { tenantId, status: 'purged', purgedThroughSeq: through, deleted }
    } finally {
      await this.#leases.release(lease).catch(() => false)
    }
  }

  /** Waits for queued appends and stops the schedule. */
  async close(): Promise<void> {
    await Promise.all([...this.#tasks].map((t) => t.stop()))
    this.#tasks.clear()
    await this.log.flush()
  }

  /** Refuses a malformed id, and one that names neither a registered tenant nor the global trail. */
  async #assertTrail(tenantId: unknown): Promise<void> {
    assertTenantId(tenantId)
    await this.log.assertRegistered(tenantId)
  }

  async *#eventRows(tenantId: string, fromSeq: number, toSeq: number): AsyncGenerator<Record<string, any>[]> {
    const db = tenantDb(this.#db, tenantId)
    let next = fromSeq
    while (next <= toSeq) {
      const batch = await db
        .selectFrom(AUDIT_TABLES.events)
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('seq', '>=', next)
        .where('seq', '<=', toSeq)
        .orderBy('seq')
        .limit(READ_BATCH)
        .execute()
      if (batch.length === 0) return
      yield batch
      next = Number(batch[batch.length - 1]!.seq) + 1
    }
  }

  /**
   * The hash lists of a tenant's version 3 checkpoints: the database column, and the anchored
   * copy, read only when the column does not match what its checkpoint signed.
   */
  #hashLists(tenantId: string): HashListSource {
    const anchors = this.#anchors
    return {
      stored: async (n) => {
        const row = await tenantDb(this.#db, tenantId)
          .selectFrom(AUDIT_TABLES.checkpoints)
          .select('hashes')
          .where('tenant_id', '=', tenantId)
          .where('n', '=', n)
          .executeTakeFirst()
        return row?.hashes == null ? undefined : Buffer.from(row.hashes as Uint8Array)
      },
      ...(anchors === undefined
        ? {}
        : {
            other: async (n: number) => {
              const key = hashesAnchorKey(tenantId, n)
              if ((await anchors.head(key)) === undefined) return undefined
              const chunks: Buffer[] = []
              for await (const chunk of await anchors.get(key)) chunks.push(chunk as Buffer)
              return Buffer.concat(chunks)
            },
          }),
    }
  }

  async #anchoredNumbers(tenantId: string): Promise<number[]> {
    const prefix = anchorKey(tenantId, 0).replace(/0+\.jws$/, '')
    const numbers: number[] = []
    let cursor: string | undefined
    do {
      const page = await this.#anchors!.list(prefix, {
        limit: 1000,
        ...(cursor === undefined ? {} : { cursor }),
      })
      for (const item of page.items) {
        const m = /(\d{12})\.jws$/.exec(item.key)
        if (m !== null) numbers.push(Number(m[1]))
      }
      cursor = page.cursor
    } while (cursor !== undefined)
    return numbers.sort((a, b) => a - b)
  }

  async #tenantIds(): Promise<string[]> {
    const rows = await this.#db.selectFrom('cw_tenants').select('id').orderBy('id').execute()
    return rows.map((r) => String(r.id))
  }
}

/**
 * An event row as verification sees it. Every stored column is either hashed (`body`), the
 * chain itself (`hash`), the key it was read by (`tenant_id`), or a copy of a field of the
 * body, compared with it here (`seq` included: rows are read in `seq` order, so a changed
 * number on the last row would otherwise pass).
 */
function recordOf(row: Record<string, any>, tenantId: string): ChainRecord {
  let seq: number | undefined
  let columnsOk = true
  try {
    const e = JSON.parse(String(row.body)) as AuditEvent
    seq = Number.isSafeInteger(e.seq) ? e.seq : Number.NaN
    columnsOk =
      e.tenantId === tenantId &&
      e.seq === Number(row.seq) &&
      e.id === row.id &&
      Date.parse(e.time) === Number(row.time) &&
      e.actor?.id === row.actor_id &&
      e.actor?.role === row.actor_role &&
      e.action === row.action &&
      e.target?.type === row.target_type &&
      e.target?.id === row.target_id &&
      e.outcome === row.outcome
  } catch {
    seq = Number(row.seq)
    columnsOk = false
  }
  return { canonical: String(row.body), hash: String(row.hash), seq, columnsOk }
}

/** A checkpoint row's columns but its hash list, which is read only where it is needed. */
const CHECKPOINT_COLUMNS = [
  'tenant_id',
  'n',
  'from_seq',
  'to_seq',
  'head_hash',
  'merkle_root',
  'kid',
  'jws',
  'created_at',
  'anchor_key',
  'anchor_locked_until',
  'anchored_at',
] as const

function checkpointOf(r: Record<string, any>): StoredCheckpoint {
  return {
    n: Number(r.n),
    fromSeq: Number(r.from_seq),
    toSeq: Number(r.to_seq),
    headHash: String(r.head_hash),
    merkleRoot: String(r.merkle_root),
    kid: String(r.kid),
    jws: String(r.jws),
    ...(r.anchor_key == null ? {} : { anchorKey: String(r.anchor_key) }),
    ...(r.anchor_locked_until == null
      ? {}
      : { anchorLockedUntil: new Date(Number(r.anchor_locked_until)).toISOString() }),
  }
}

function queryInvalid(field: string, allowed: string): CallwardenError {
  return new CallwardenError(
    'ERR_AUDIT_QUERY_INVALID',
    `audit query field '${field}' is invalid; allowed: ${allowed}`,
  )
}

function unavailable(message: string): CallwardenError {
  return new CallwardenError('ERR_AUDIT_PROOF_UNAVAILABLE', message)
}

function encodeCursor(c: { b: number; f: string }): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url')
}

function decodeCursor(cursor: unknown): { b: number; f: string } | undefined {
  if (typeof cursor !== 'string' || cursor.length > 200) return undefined
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { b?: unknown; f?: unknown }
    return Number.isSafeInteger(c.b) && (c.b as number) > 0 && typeof c.f === 'string'
      ? { b: c.b as number, f: c.f }
      : undefined
  } catch {
    return undefined
  }
}
