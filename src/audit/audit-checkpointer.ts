/**
 * The checkpoint job: for each tenant, every N events or T seconds, signs a checkpoint over
 * the events since the previous one, stores it and anchors a copy in the object store under
 * Object Lock. Coordinated across replicas by a lease per tenant, with the checkpoint row
 * written as a fenced write; resumable (a run re-reads where the last one stopped and
 * anchors what a crashed run left unanchored), idempotent (checkpoint numbers are a key, so
 * a re-run cannot sign a second checkpoint for the same range) and abortable between
 * checkpoints.
 *
 * @module
 */
import type { Kysely } from 'kysely'
import cron from 'node-cron'
import type { BlobStore } from '../blob/blob-store.js'
import { systemClock, type Clock } from '../clock.js'
import { CallwardenError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Lease, LeaseManager } from '../store/lease-manager.js'
import { GENESIS_HASH, chainHash } from './audit-chain.js'
import {
  anchorKey,
  CHECKPOINT_JWS_TYPE,
  CHECKPOINT_VERSION,
  hashesAnchorKey,
  hashesDigest,
  jwsSignature,
  merkleTreeVersion,
  packHashes,
  type CheckpointPayload,
  type StoredCheckpoint,
} from './audit-checkpoint.js'
import type { AuditKeys } from './audit-keys.js'
import { AUDIT_TABLES, tenantDb } from './audit-tables.js'
import { canonicalJson } from './canonical-json.js'
import { checkpointMerkleRoot } from './merkle-tree.js'

/** How checkpoint anchors are locked in the object store. */
export const ANCHOR_LOCK_MODES = ['COMPLIANCE', 'GOVERNANCE', 'off'] as const
/** One anchor lock mode. */
export type AnchorLockMode = (typeof ANCHOR_LOCK_MODES)[number]

/** Options of {@link AuditCheckpointer}. */
export interface AuditCheckpointerOptions {
  readonly db: Kysely<any>
  readonly keys: () => Promise<AuditKeys>
  readonly leases: LeaseManager
  /** Where anchor copies go; none when absent. */
  readonly anchors?: BlobStore
  /** @defaultValue the system clock */
  readonly clock?: Clock
  readonly logger?: Logger
  /**
   * A checkpoint is due once this many events wait, and covers at most this many (and at
   * most {@link MAX_CHECKPOINT_EVENTS}).
   * @defaultValue 10000
   */
  readonly everyEvents?: number
  /**
   * A checkpoint is due once the oldest unsigned event is this old.
   * @defaultValue 60
   */
  readonly intervalSeconds?: number
  /** @defaultValue `'COMPLIANCE'` */
  readonly lockMode?: AnchorLockMode
  /**
   * Days an anchor object is retained under Object Lock.
   * @defaultValue 400
   */
  readonly retentionDays?: number
  /**
   * When the bucket refuses Object Lock (not enabled on it): `true` stores the anchor
   * without a lock and records that it is unlocked; `false` fails the run.
   * @defaultValue true
   */
  readonly lockIfSupported?: boolean
}

/** What one tenant's checkpoint run did. */
export interface CheckpointRunResult {
  readonly tenantId: string
  readonly status: 'checkpointed' | 'not-due' | 'busy' | 'aborted' | 'failed'
  /** Checkpoints signed by this run. */
  readonly created: readonly StoredCheckpoint[]
  /** Checkpoints anchored by this run (including ones a crashed run left unanchored). */
  readonly anchored: number
  readonly error?: CallwardenError | Error
}

const LEASE_TTL_MS = 60_000

/**
 * The most events one checkpoint covers, whatever `everyEvents` says: its hash list (32 bytes
 * an event, twice that as SQL text) is written in one statement, and 100,000 events keep it
 * far below MariaDB's default `max_allowed_packet` (16 MiB). More pending events are signed
 * as several checkpoints in one run.
 */
export const MAX_CHECKPOINT_EVENTS = 100_000

/**
 * Signs and anchors checkpoints.
 *
 * @example
 * ```ts
 * const result = await checkpointer.run('acme', { force: true }) // sign whatever is pending
 * const task = checkpointer.schedule('*\/15 * * * * *', () => tenants.listIds())
 * await task.stop()
 * ```
 */
export class AuditCheckpointer {
  readonly #db: Kysely<any>
  readonly #keys: () => Promise<AuditKeys>
  readonly #leases: LeaseManager
  readonly #anchors: BlobStore | undefined
  readonly #clock: Clock
  readonly #logger: Logger | undefined
  readonly #everyEvents: number
  readonly #intervalMs: number
  readonly #lockMode: AnchorLockMode
  readonly #retentionMs: number
  readonly #lockIfSupported: boolean

  constructor(options: AuditCheckpointerOptions) {
    this.#db = options.db
    this.#keys = options.keys
    this.#leases = options.leases
    this.#anchors = options.anchors
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger
    this.#everyEvents = options.everyEvents ?? 10_000
    this.#intervalMs = (options.intervalSeconds ?? 60) * 1000
    this.#lockMode = options.lockMode ?? 'COMPLIANCE'
    this.#retentionMs = (options.retentionDays ?? 400) * 86_400_000
    this.#lockIfSupported = options.lockIfSupported ?? true
  }

  /**
   * Signs the checkpoints due for one tenant (all pending events with `force`), then
   * anchors every unanchored one. Never throws for a failed run: the result says why.
   */
  async run(
    tenantId: string,
    options: { force?: boolean; signal?: AbortSignal } = {},
  ): Promise<CheckpointRunResult> {
    const lease = await this.#leases.tryAcquire(`audit-checkpoint:${tenantId}`, LEASE_TTL_MS)
    if (lease === undefined) return { tenantId, status: 'busy', created: [], anchored: 0 }
    const created: StoredCheckpoint[] = []
    let anchored = 0
    let held: Lease = lease
    try {
      const db = tenantDb(this.#db, tenantId)
      for (;;) {
        if (isAborted(options.signal)) return { tenantId, status: 'aborted', created, anchored }
        const next = await this.#next(db, tenantId, options.force === true)
        if (next === undefined) break
        const checkpoint = await this.#sign(db, tenantId, next, held)
        created.push(checkpoint)
        held = await this.#leases.renew(held, LEASE_TTL_MS)
      }
      anchored = await this.#anchorPending(db, tenantId, held, options.signal)
      return { tenantId, status: created.length > 0 ? 'checkpointed' : 'not-due', created, anchored }
    } catch (error) {
      this.#logger?.error({ tenantId, code: (error as CallwardenError).code }, 'audit checkpoint run failed')
      return { tenantId, status: 'failed', created, anchored, error: error as Error }
    } finally {
      await this.#leases.release(held).catch(() => false)
    }
  }

  /**
   * Runs {@link run} for each tenant `tenants()` lists, on a node-cron schedule, never two
   * runs at once. Returns the task; `stop()` it on shutdown.
   */
  schedule(expression: string, tenants: () => Promise<readonly string[]>): { stop(): Promise<void> } {
    if (!cron.validate(expression)) {
      throw new CallwardenError(
        'ERR_CONFIG_INVALID',
        `audit.checkpoint.cron '${expression}' is not a cron expression`,
      )
    }
    const controller = new AbortController()
    let running: Promise<void> | undefined
    const task = cron.schedule(
      expression,
      async () => {
        running = (async () => {
          for (const tenantId of await tenants()) {
            if (controller.signal.aborted) return
            await this.run(tenantId, { signal: controller.signal })
          }
        })()
        await running
      },
      { noOverlap: true, name: 'callwarden-audit-checkpoints' },
    )
    return {
      stop: async () => {
        controller.abort()
        await task.stop()
        await task.destroy()
        await running?.catch(() => undefined)
      },
    }
  }

  /** The next due range, or `undefined` when nothing is due. */
  async #next(
    db: Kysely<any>,
    tenantId: string,
    force: boolean,
  ): Promise<
    { n: number; fromSeq: number; toSeq: number; prevHash: string; prevSignature: string | null } | undefined
  > {
    const last = await db
      .selectFrom(AUDIT_TABLES.checkpoints)
      .select(['n', 'to_seq', 'head_hash', 'jws'])
      .where('tenant_id', '=', tenantId)
      .orderBy('n', 'desc')
      .limit(1)
      .executeTakeFirst()
    const head = await db
      .selectFrom(AUDIT_TABLES.heads)
      .select(['last_seq'])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst()
    const lastSeq = Number(head?.last_seq ?? 0)
    const fromSeq = Number(last?.to_seq ?? 0) + 1
    const pending = lastSeq - fromSeq + 1
    if (pending <= 0) return undefined
    if (!force && pending < this.#everyEvents) {
      const oldest = await db
        .selectFrom(AUDIT_TABLES.events)
        .select('time')
        .where('tenant_id', '=', tenantId)
        .where('seq', '=', fromSeq)
        .executeTakeFirst()
      if (oldest !== undefined && this.#clock.now().getTime() - Number(oldest.time) < this.#intervalMs)
        return undefined
    }
    return {
      n: Number(last?.n ?? 0) + 1,
      fromSeq,
      toSeq: Math.min(lastSeq, fromSeq + Math.min(this.#everyEvents, MAX_CHECKPOINT_EVENTS) - 1),
      prevHash: last?.head_hash ?? GENESIS_HASH,
      prevSignature: last === undefined ? null : jwsSignature(last.jws),
    }
  }

  async #sign(
    db: Kysely<any>,
    tenantId: string,
    range: { n: number; fromSeq: number; toSeq: number; prevHash: string; prevSignature: string | null },
    lease: Lease,
  ): Promise<StoredCheckpoint> {
    // The range is re-verified before it is signed: a checkpoint must never vouch for a
    // chain that was altered in the database.
    const rows = await db
      .selectFrom(AUDIT_TABLES.events)
      .select(['seq', 'body', 'hash'])
      .where('tenant_id', '=', tenantId)
      .where('seq', '>=', range.fromSeq)
      .where('seq', '<=', range.toSeq)
      .orderBy('seq')
      .execute()
    let prev = range.prevHash
    const leaves: string[] = []
    for (const [i, row] of rows.entries()) {
      const seq = range.fromSeq + i
      if (Number(row.seq) !== seq || chainHash(prev, row.body) !== row.hash) {
        throw new CallwardenError(
          'ERR_AUDIT_CHAIN_CONFLICT',
          `tenant '${tenantId}': the chain does not verify at sequence number ${seq}; no checkpoint was signed (run audit verify)`,
        )
      }
      prev = row.hash
      leaves.push(row.hash)
    }
    if (leaves.length !== range.toSeq - range.fromSeq + 1) {
      throw new CallwardenError(
        'ERR_AUDIT_CHAIN_CONFLICT',
        `tenant '${tenantId}': events ${range.fromSeq}..${range.toSeq} are incomplete; no checkpoint was signed`,
      )
    }
    const keys = await this.#keys()
    const now = this.#clock.now()
    // The hash list, and the digest the checkpoint signs of it: one SHA-256 over hashes read
    // for the Merkle root anyway.
    const hashes = packHashes(leaves)
    const payload: CheckpointPayload = {
      v: CHECKPOINT_VERSION,
      tenantId,
      n: range.n,
      fromSeq: range.fromSeq,
      toSeq: range.toSeq,
      headHash: prev,
      merkleRoot: checkpointMerkleRoot(leaves, merkleTreeVersion(CHECKPOINT_VERSION)),
      hashesDigest: hashesDigest(hashes),
      prevSignature: range.prevSignature,
      issuedAt: now.toISOString(),
    }
    const jws = await keys.sign(CHECKPOINT_JWS_TYPE, canonicalJson(payload))
    await this.#leases.fenced(lease, (trx) =>
      tenantDb(trx, tenantId)
        .insertInto(AUDIT_TABLES.checkpoints)
        .values({
          tenant_id: tenantId,
          n: payload.n,
          from_seq: payload.fromSeq,
          to_seq: payload.toSeq,
          head_hash: payload.headHash,
          merkle_root: payload.merkleRoot,
          kid: keys.kid,
          jws,
          hashes,
          created_at: now.getTime(),
        })
        .execute(),
    )
    return {
      n: payload.n,
      fromSeq: payload.fromSeq,
      toSeq: payload.toSeq,
      headHash: payload.headHash,
      merkleRoot: payload.merkleRoot,
      kid: keys.kid,
      jws,
    }
  }

  async #anchorPending(
    db: Kysely<any>,
    tenantId: string,
    lease: Lease,
    signal?: AbortSignal,
  ): Promise<number> {
    if (this.#anchors === undefined) return 0
    let anchored = 0
    for (;;) {
      if (isAborted(signal)) return anchored
      const rows = await db
        .selectFrom(AUDIT_TABLES.checkpoints)
        .select(['n', 'jws'])
        .where('tenant_id', '=', tenantId)
        .where('anchored_at', 'is', null)
        .orderBy('n')
        .limit(100)
        .execute()
      if (rows.length === 0) return anchored
      for (const row of rows) {
        if (isAborted(signal)) return anchored
        const key = anchorKey(tenantId, Number(row.n))
        // The hash list first: an anchored JWS of version 3 always has its list beside it.
        // Read one at a time: a list holds 32 bytes per event of its range.
        const { hashes } = await db
          .selectFrom(AUDIT_TABLES.checkpoints)
          .select('hashes')
          .where('tenant_id', '=', tenantId)
          .where('n', '=', Number(row.n))
          .executeTakeFirstOrThrow()
        if (hashes != null) {
          await this.#put(
            hashesAnchorKey(tenantId, Number(row.n)),
            Buffer.from(hashes as Uint8Array),
            'application/octet-stream',
          )
        }
        const lockedUntil = await this.#put(key, Buffer.from(`${String(row.jws)}\n`), 'application/jose')
        await this.#leases.fenced(lease, (trx) =>
          tenantDb(trx, tenantId)
            .updateTable(AUDIT_TABLES.checkpoints)
            .set({
              anchor_key: key,
              anchor_locked_until: lockedUntil?.getTime() ?? null,
              anchored_at: this.#clock.now().getTime(),
            })
            .where('tenant_id', '=', tenantId)
            .where('n', '=', Number(row.n))
            .execute(),
        )
        anchored += 1
      }
    }
  }

  /** Stores an anchor object; returns the Object Lock retention date when the store applied one. */
  async #put(key: string, body: Buffer, contentType: string): Promise<Date | undefined> {
    const anchors = this.#anchors!
    if (this.#lockMode === 'off' || anchors.location.startsWith('file:')) {
      await anchors.put(key, body, { contentType })
      return undefined
    }
    const retainUntil = new Date(this.#clock.now().getTime() + this.#retentionMs)
    try {
      await anchors.put(key, body, { contentType, retainUntil, lockMode: this.#lockMode })
      return retainUntil
    } catch (error) {
      if (!this.#lockIfSupported || !lockUnsupported(error)) throw error
      this.#logger?.warn(
        { key, store: anchors.location },
        'object store refused Object Lock; anchor stored unlocked',
      )
      await anchors.put(key, body, { contentType })
      return undefined
    }
  }
}

export { anchorKey }

/** True when a put failed because the bucket has no Object Lock (S3 answers 400 InvalidRequest). */
function lockUnsupported(error: unknown): boolean {
  const cause = (error as { cause?: { name?: string; $metadata?: { httpStatusCode?: number } } }).cause
  return cause?.name === 'InvalidRequest' || cause?.$metadata?.httpStatusCode === 400
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}
