/**
 * Job leases in `cw_job_leases`: which replica runs a job, with a fencing token that only
 * grows, so that a holder that stalled past its expiry cannot write after another took
 * over. Built from keyed single-row statements only (no GET_LOCK, no stored procedures),
 * so it works on MySQL, MariaDB, TiDB, Vitess and SQLite alike.
 *
 * Expiry is measured with the injected clock of each replica; keep TTLs well above the
 * clock skew between replicas.
 *
 * @module
 */
import type { Kysely, Transaction } from 'kysely'
import { systemClock, type Clock } from '../clock.js'
import { CallwardenError, LeaseFenced } from '../errors.js'
import { insertIfAbsent } from './dialect-helpers.js'

/** A lease this process holds. */
export interface Lease {
  readonly name: string
  readonly owner: string
  /** The fencing token; every takeover gets a larger one. */
  readonly token: number
  /** When the lease expires unless renewed (by this process's clock). */
  readonly expiresAt: Date
}

/** Options of {@link LeaseManager}. */
export interface LeaseManagerOptions {
  /**
   * This replica's identity, e.g. `hostname:pid:random`. Make it unique per process:
   * containers often share a hostname and pid 1.
   */
  readonly owner: string
  /** @defaultValue the system clock */
  readonly clock?: Clock
}

const NAME = /^[A-Za-z0-9:._/-]{1,191}$/

/**
 * Acquires, renews and releases leases, and runs fenced writes.
 *
 * @example
 * ```ts
 * const leases = new LeaseManager(db, { owner: `${hostname()}:${process.pid}` })
 * const lease = await leases.tryAcquire('purge:acme', 30_000)
 * if (lease) {
 *   await leases.fenced(lease, (trx) => trx.insertInto('cw_retention_runs').values(run).execute())
 *   await leases.release(lease)
 * }
 * ```
 */
export class LeaseManager {
  readonly #db: Kysely<any>
  readonly #owner: string
  readonly #clock: Clock

  constructor(db: Kysely<any>, options: LeaseManagerOptions) {
    if (typeof options?.owner !== 'string' || options.owner.length === 0 || options.owner.length > 191) {
      throw new TypeError('LeaseManager needs an owner: a non-empty string of at most 191 characters')
    }
    this.#db = db
    this.#owner = options.owner
    this.#clock = options.clock ?? systemClock
  }

  get owner(): string {
    return this.#owner
  }

  /**
   * Takes the lease if it is free or expired; returns `undefined` while anyone holds it,
   * including this owner. Every acquisition gets a token one larger than the last one issued.
   */
  async tryAcquire(name: string, ttlMs: number): Promise<Lease | undefined> {
    assertLeaseArgs(name, ttlMs)
    const now = this.#clock.now().getTime()
    const expiresAt = now + ttlMs
    // First use of a lease name creates the row in its own statement. Doing it inside the
    // transaction below would let two first-time contenders deadlock on InnoDB gap locks.
    const row = {
      name,
      owner: this.#owner,
      token: 1,
      expires_at: expiresAt,
      acquired_at: now,
      renewed_at: now,
    }
    if (await insertIfAbsent(this.#db, 'cw_job_leases', row)) return lease(name, this.#owner, 1, expiresAt)

    // The update locks the one existing row, so contenders queue instead of racing. A lease
    // still running is not taken, not even by its own owner: two overlapping runs in one
    // process must not both believe they hold it (renew() extends a lease explicitly).
    return this.#db.transaction().execute(async (trx) => {
      const taken = await trx
        .updateTable('cw_job_leases')
        .set((eb) => ({
          owner: this.#owner,
          token: eb('token', '+', 1),
          expires_at: expiresAt,
          acquired_at: now,
          renewed_at: now,
        }))
        .where('name', '=', name)
        .where('expires_at', '<=', now)
        .executeTakeFirst()
      if (Number(taken.numUpdatedRows) === 0) return undefined
      const current = await trx
        .selectFrom('cw_job_leases')
        .select('token')
        .where('name', '=', name)
        .executeTakeFirstOrThrow()
      return lease(name, this.#owner, Number(current.token), expiresAt)
    })
  }

  /** Like {@link tryAcquire}, but throws `ERR_LEASE_HELD` when another owner holds it. */
  async acquire(name: string, ttlMs: number): Promise<Lease> {
    const held = await this.tryAcquire(name, ttlMs)
    if (held === undefined) {
      throw new CallwardenError('ERR_LEASE_HELD', `lease '${name}' is held by another owner`)
    }
    return held
  }

  /** Extends a held lease; throws `ERR_LEASE_LOST` if it expired or was taken over. */
  async renew(held: Lease, ttlMs: number): Promise<Lease> {
    assertLeaseArgs(held.name, ttlMs)
    const now = this.#clock.now().getTime()
    const result = await this.#db
      .updateTable('cw_job_leases')
      .set({ expires_at: now + ttlMs, renewed_at: now })
      .where('name', '=', held.name)
      .where('owner', '=', this.#owner)
      .where('token', '=', held.token)
      .where('expires_at', '>', now)
      .executeTakeFirst()
    if (Number(result.numUpdatedRows) === 0) {
      throw new CallwardenError(
        'ERR_LEASE_LOST',
        `lease '${held.name}' (token ${held.token}) expired or was taken over before renewal`,
      )
    }
    return lease(held.name, this.#owner, held.token, now + ttlMs)
  }

  /**
   * Gives a lease up so another owner can take it at once. The row stays, so tokens keep
   * growing. Releasing a lease already lost is not an error; returns whether it was held.
   */
  async release(held: Lease): Promise<boolean> {
    const now = this.#clock.now().getTime()
    const result = await this.#db
      .updateTable('cw_job_leases')
      .set({ expires_at: now, renewed_at: now })
      .where('name', '=', held.name)
      .where('owner', '=', this.#owner)
      .where('token', '=', held.token)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  }

  /**
   * Runs `write` in a transaction that first proves the lease is still held with this token
   * and unexpired. The proof is an UPDATE of the lease row, so it also locks the row until
   * commit: a takeover (itself an UPDATE of that row) waits for the write to finish, and a
   * write by a stale holder is refused with `ERR_LEASE_FENCED` and rolled back.
   */
  async fenced<T>(held: Lease, write: (trx: Transaction<any>) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute(async (trx) => {
      const now = this.#clock.now().getTime()
      const proof = await trx
        .updateTable('cw_job_leases')
        .set({ renewed_at: now })
        .where('name', '=', held.name)
        .where('owner', '=', this.#owner)
        .where('token', '=', held.token)
        .where('expires_at', '>', now)
        .executeTakeFirst()
      if (Number(proof.numUpdatedRows) === 0) throw new LeaseFenced(held.name, held.token)
      return write(trx)
    })
  }

  /** The current holder of a lease (for status displays), or `undefined` if never taken. */
  async inspect(name: string): Promise<{ owner: string; token: number; expiresAt: Date } | undefined> {
    const row = await this.#db
      .selectFrom('cw_job_leases')
      .select(['owner', 'token', 'expires_at'])
      .where('name', '=', name)
      .executeTakeFirst()
    return row === undefined
      ? undefined
      : { owner: row.owner, token: Number(row.token), expiresAt: new Date(Number(row.expires_at)) }
  }
}

function lease(name: string, owner: string, token: number, expiresAt: number): Lease {
  return Object.freeze({ name, owner, token, expiresAt: new Date(expiresAt) })
}

function assertLeaseArgs(name: string, ttlMs: number): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TypeError(`lease name must be 1-191 of A-Z a-z 0-9 : . _ / -, got ${JSON.stringify(name)}`)
  }
  if (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > 86_400_000) {
    throw new TypeError(`lease TTL must be a whole number of milliseconds from 1 to 86400000, got ${ttlMs}`)
  }
}
