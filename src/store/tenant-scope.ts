/**
 * The one way tenant data is read and written: a `TenantScope` fixes the tenant at
 * construction, resolves per-tenant tables, adds the tenant predicate to every query it
 * starts, and runs them on a Kysely instance guarded by a {@link TenantGuardPlugin} bound to
 * that tenant, so a query that drops or changes the predicate is rejected before it runs.
 * The guard knows callwarden's own tenant tables as well as the data map's, and reads only
 * tenant tables: a subquery, join or CTE on any other table, raw SQL naming a table, and raw
 * modifiers are refused (`ERR_TENANT_SCOPE`).
 *
 * @module
 */
import type {
  DeleteQueryBuilder,
  DeleteResult,
  Kysely,
  SelectQueryBuilder,
  Transaction,
  UpdateQueryBuilder,
  UpdateResult,
} from 'kysely'
import { TenantScopeViolation } from '../errors.js'
import type { DataMap } from './data-map/data-map.js'
import { isTenantTemplate } from './data-map/dataset.js'
import { TenantGuardPlugin } from './tenant-guard-plugin.js'
import { assertTenantId } from './tenant-registry.js'

/** Rows inserted per statement by {@link TenantScope.insert}. */
export const INSERT_BATCH_SIZE = 500

/**
 * Reads and writes one tenant's rows of the datasets in a data map.
 *
 * @example
 * ```ts
 * const scope = new TenantScope(db, dataMap, 'acme')
 * const recent = await scope
 *   .selectFrom('service_records')
 *   .where('started_at', '>=', since.getTime())
 *   .selectAll()
 *   .execute()
 * // select * from cc_service_records where tenant_id = ? and started_at >= ?
 * ```
 */
export class TenantScope {
  readonly tenantId: string
  readonly #db: Kysely<any>
  readonly #dataMap: DataMap

  constructor(db: Kysely<any>, dataMap: DataMap, tenantId: string) {
    assertTenantId(tenantId)
    this.tenantId = tenantId
    this.#dataMap = dataMap
    this.#db = db.withPlugin(guardFor(dataMap).withTenant(tenantId))
  }

  /** The table holding this tenant's rows of `dataset`. */
  tableOf(dataset: string): string {
    return this.#dataMap.tableFor(dataset, this.tenantId)
  }

  /** Starts a select over this tenant's rows of `dataset`. */
  selectFrom(dataset: string): SelectQueryBuilder<any, any, object> {
    const query = this.#db.selectFrom(this.tableOf(dataset))
    const column = this.#tenantColumn(dataset)
    return column === undefined ? query : query.where(column, '=', this.tenantId)
  }

  /** Starts an update of this tenant's rows of `dataset`. */
  updateTable(dataset: string): UpdateQueryBuilder<any, any, any, UpdateResult> {
    const query = this.#db.updateTable(this.tableOf(dataset))
    const column = this.#tenantColumn(dataset)
    return column === undefined ? query : query.where(column, '=', this.tenantId)
  }

  /** Starts a delete of this tenant's rows of `dataset`. */
  deleteFrom(dataset: string): DeleteQueryBuilder<any, any, DeleteResult> {
    const query = this.#db.deleteFrom(this.tableOf(dataset))
    const column = this.#tenantColumn(dataset)
    return column === undefined ? query : query.where(column, '=', this.tenantId)
  }

  /**
   * Inserts rows into this tenant's table of `dataset`, setting the tenant column. A row
   * that names another tenant is refused (`ERR_TENANT_SCOPE`) before anything is written;
   * batches run in one transaction, so a failure writes nothing.
   */
  async insert(dataset: string, rows: readonly Record<string, unknown>[]): Promise<number> {
    if (rows.length === 0) return 0
    const table = this.tableOf(dataset)
    const column = this.#tenantColumn(dataset)
    const prepared = rows.map((row) => {
      if (column === undefined) return row
      const given = row[column]
      if (given !== undefined && given !== this.tenantId) {
        throw new TenantScopeViolation(
          table,
          `a row names another tenant than the scope's '${this.tenantId}'`,
        )
      }
      return { ...row, [column]: this.tenantId }
    })
    const write = async (db: Kysely<any>): Promise<void> => {
      for (let start = 0; start < prepared.length; start += INSERT_BATCH_SIZE) {
        await db
          .insertInto(table)
          .values(prepared.slice(start, start + INSERT_BATCH_SIZE))
          .execute()
      }
    }
    if (prepared.length <= INSERT_BATCH_SIZE || this.#db.isTransaction) await write(this.#db)
    else await this.#db.transaction().execute(write)
    return prepared.length
  }

  /** Runs `fn` in a transaction with a scope bound to it. */
  async transaction<T>(fn: (scope: TenantScope) => Promise<T>): Promise<T> {
    return this.#db
      .transaction()
      .execute((trx: Transaction<any>) => fn(new TenantScope(trx, this.#dataMap, this.tenantId)))
  }

  #tenantColumn(dataset: string): string | undefined {
    const d = this.#dataMap.dataset(dataset)
    return isTenantTemplate(d) ? undefined : d.tenantColumn
  }
}

/** One compiled guard per data map; scopes bind it to their tenant. */
const guards = new WeakMap<DataMap, TenantGuardPlugin>()

function guardFor(dataMap: DataMap): TenantGuardPlugin {
  let guard = guards.get(dataMap)
  if (guard === undefined) {
    guard = new TenantGuardPlugin({ rules: dataMap.tenantTableRules() })
    guards.set(dataMap, guard)
  }
  return guard
}
