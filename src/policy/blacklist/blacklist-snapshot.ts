/**
 * Each tenant's blacklist held in memory for matching at call time, so that a decision
 * costs map lookups instead of a query. A copy is trusted for `refreshMs` (by a monotonic
 * timer, not the business clock); after that one keyed read of the list's version
 * (`cw_list_versions`) tells whether another process changed it, and only then are the
 * rows read again. Changes made through this process drop the copy at once.
 *
 * @module
 */
import type { Awaitable } from '../../lib/awaitable.js'
import { millisecondsOption } from '../../lib/milliseconds.js'
import type { BlacklistDirection, BlacklistKind } from './blacklist-entry.js'
import { MIN_PREFIX_DIGITS } from './blacklist-entry.js'

/** One entry as matching needs it. */
export interface SnapshotEntry {
  readonly id: string
  readonly kind: BlacklistKind
  readonly pattern: string
  readonly direction: BlacklistDirection
  readonly reason: string | null
  /** Epoch milliseconds, or `null` for never. */
  readonly expiresAt: number | null
}

/** Where the snapshots come from. */
export interface SnapshotSource {
  /** The list's current version for the tenant (cheap: one keyed read). */
  version(tenantId: string): Promise<number>
  /** Every entry of the tenant, with the version they were read at (read the version first). */
  load(tenantId: string): Promise<{ readonly version: number; readonly entries: readonly SnapshotEntry[] }>
}

/** Options of {@link BlacklistSnapshots}. */
export interface BlacklistSnapshotsOptions {
  readonly source: SnapshotSource
  /**
   * How long a copy is used before its version is checked again. 0 checks on every match.
   * @defaultValue 1000
   */
  readonly refreshMs?: number
  /** A monotonic millisecond timer. @defaultValue `performance.now` */
  readonly timer?: () => number
}

/** One tenant's entries, indexed for matching. */
class TenantSnapshot {
  readonly exact = new Map<string, SnapshotEntry>()
  readonly prefixes = new Map<string, SnapshotEntry>()
  /** The longest prefix pattern's length, so that shorter numbers skip the prefix walk. */
  longestPrefix = 0

  constructor(
    readonly version: number,
    entries: readonly SnapshotEntry[],
    public checkedAt: number,
  ) {
    for (const entry of entries) {
      if (entry.kind === 'exact') {
        this.exact.set(entry.pattern, entry)
      } else {
        this.prefixes.set(entry.pattern, entry)
        if (entry.pattern.length > this.longestPrefix) this.longestPrefix = entry.pattern.length
      }
    }
  }

  /**
   * The entry that decides for `e164` in `direction` at `at` (epoch ms): an active exact entry,
   * else the longest active prefix entry — the same rule as the keyed query it replaces.
   */
  match(e164: string, direction: 'inbound' | 'outbound', at: number): SnapshotEntry | undefined {
    const exact = this.exact.get(e164)
    if (exact !== undefined && applies(exact, direction, at)) return exact
    if (this.prefixes.size === 0) return undefined
    for (let end = Math.min(e164.length, this.longestPrefix); end > MIN_PREFIX_DIGITS; end -= 1) {
      const entry = this.prefixes.get(e164.slice(0, end))
      if (entry !== undefined && applies(entry, direction, at)) return entry
    }
    return undefined
  }
}

function applies(entry: SnapshotEntry, direction: 'inbound' | 'outbound', at: number): boolean {
  return (
    (entry.direction === 'both' || entry.direction === direction) &&
    (entry.expiresAt === null || entry.expiresAt > at)
  )
}

/** The in-memory copies of every tenant's blacklist in this process. */
export class BlacklistSnapshots {
  readonly #source: SnapshotSource
  readonly #refreshMs: number
  readonly #timer: () => number
  readonly #snapshots = new Map<string, TenantSnapshot>()
  /** Refreshes in flight, shared by concurrent matches of the same tenant. */
  readonly #pending = new Map<string, Promise<TenantSnapshot>>()
  /** Bumped by {@link invalidate}: a load that started before a local change is not kept. */
  readonly #generation = new Map<string, number>()

  constructor(options: BlacklistSnapshotsOptions) {
    const refreshMs = millisecondsOption('refreshMs', options.refreshMs, 1000)
    this.#source = options.source
    this.#refreshMs = refreshMs
    this.#timer = options.timer ?? (() => performance.now())
  }

  /** The entry that decides for `e164` (see {@link TenantSnapshot.match}), or `undefined`. */
  match(
    tenantId: string,
    e164: string,
    direction: 'inbound' | 'outbound',
    at: Date,
  ): Awaitable<SnapshotEntry | undefined> {
    const snapshot = this.#snapshots.get(tenantId)
    const fresh =
      snapshot !== undefined && this.#refreshMs > 0 && this.#timer() - snapshot.checkedAt < this.#refreshMs
    // A fresh copy answers at once; only a refresh makes the caller wait.
    if (fresh) return snapshot.match(e164, direction, at.getTime())
    return this.#refresh(tenantId).then((s) => s.match(e164, direction, at.getTime()))
  }

  /** Drops the tenant's copy; call it after a change to the tenant's list commits. */
  invalidate(tenantId: string): void {
    this.#generation.set(tenantId, (this.#generation.get(tenantId) ?? 0) + 1)
    this.#snapshots.delete(tenantId)
    this.#pending.delete(tenantId)
  }

  #refresh(tenantId: string): Promise<TenantSnapshot> {
    let pending = this.#pending.get(tenantId)
    if (pending === undefined) {
      pending = this.#reload(tenantId).finally(() => {
        if (this.#pending.get(tenantId) === pending) this.#pending.delete(tenantId)
      })
      this.#pending.set(tenantId, pending)
    }
    return pending
  }

  async #reload(tenantId: string): Promise<TenantSnapshot> {
    const generation = this.#generation.get(tenantId) ?? 0
    const current = this.#snapshots.get(tenantId)
    const startedAt = this.#timer()
    let snapshot: TenantSnapshot
    if (current !== undefined && (await this.#source.version(tenantId)) === current.version) {
      current.checkedAt = startedAt
      snapshot = current
    } else {
      const { version, entries } = await this.#source.load(tenantId)
      snapshot = new TenantSnapshot(version, entries, startedAt)
    }
    if ((this.#generation.get(tenantId) ?? 0) === generation) this.#snapshots.set(tenantId, snapshot)
    return snapshot
  }
}
