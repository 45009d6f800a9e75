/**
 * The data map: the validated set of dataset declarations, and the questions modules ask
 * of it (which table holds a tenant's rows, which tables are tenant-scoped, which columns
 * hold personal data).
 *
 * @module
 */
import type { Kysely } from 'kysely'
import { DataMapInvalid } from '../../errors.js'
import {
  TENANT_PLACEHOLDER,
  datasetDeclarationSchema,
  declaredColumns,
  isTenantTemplate,
  type DatasetDeclaration,
  type DatasetDeclarationInput,
} from './dataset.js'
import { CORE_TENANT_COLUMN, CORE_TENANT_TABLES } from '../tenant-tables.js'

/** How the tenant guard recognises a tenant-scoped table. */
export interface TenantTableRule {
  /** The table name, for shared tables. */
  readonly table?: string
  /** The tenant column of a shared table. */
  readonly tenantColumn?: string
  /** For per-tenant templates: matches the table name and captures the tenant id. */
  readonly pattern?: RegExp
  /** For per-tenant templates: the template itself. */
  readonly template?: string
}

/**
 * A validated, immutable set of dataset declarations.
 *
 * @example
 * ```ts
 * const map = DataMap.from([...REFERENCE_DATASETS, myCdrDataset])
 * await map.validateAgainst(db) // ERR_DATAMAP_INVALID names the dataset and column
 * map.tableFor('service_records', 'acme') // 'cc_service_records'
 * ```
 */
export class DataMap {
  readonly #datasets: ReadonlyMap<string, DatasetDeclaration>

  private constructor(datasets: ReadonlyMap<string, DatasetDeclaration>) {
    this.#datasets = datasets
  }

  /** Validates the declarations' structure; throws `ERR_DATAMAP_INVALID` on the first bad one. */
  static from(declarations: readonly DatasetDeclarationInput[]): DataMap {
    const datasets = new Map<string, DatasetDeclaration>()
    declarations.forEach((input, index) => {
      const name = typeof input?.name === 'string' ? input.name : `#${index}`
      const parsed = datasetDeclarationSchema.safeParse(input)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!
        const field = issue.path.join('.')
        throw new DataMapInvalid(name, undefined, `field '${field || '(root)'}' ${issue.message}`)
      }
      const d = parsed.data
      if (datasets.has(d.name)) throw new DataMapInvalid(d.name, undefined, 'is declared twice')
      assertNotCoreTable(d)
      for (const other of datasets.values()) {
        if (tablesMayCollide(d.table, other.table)) {
          throw new DataMapInvalid(
            d.name,
            undefined,
            `table '${d.table}' can resolve to the same table as '${other.table}' of '${other.name}' for some tenant`,
          )
        }
      }
      datasets.set(d.name, Object.freeze(d))
    })
    return new DataMap(datasets)
  }

  /** The declarations, in declaration order. */
  get datasets(): readonly DatasetDeclaration[] {
    return [...this.#datasets.values()]
  }

  /** The declaration named `name`; throws `ERR_DATAMAP_INVALID` when there is none. */
  dataset(name: string): DatasetDeclaration {
    const d = this.#datasets.get(name)
    if (d === undefined) {
      throw new DataMapInvalid(
        name,
        undefined,
        `is not declared; declared: ${[...this.#datasets.keys()].join(', ')}`,
      )
    }
    return d
  }

  /** The table holding `tenantId`'s rows of a dataset (resolves per-tenant templates). */
  tableFor(name: string, tenantId: string): string {
    const d = this.dataset(name)
    return isTenantTemplate(d) ? d.table.replace(TENANT_PLACEHOLDER, tenantId) : d.table
  }

  /** The rules by which the tenant guard recognises this map's tenant-scoped tables. */
  tenantTableRules(): TenantTableRule[] {
    return this.datasets.map((d) =>
      isTenantTemplate(d)
        ? { template: d.table, pattern: templatePattern(d.table) }
        : { table: d.table, tenantColumn: d.tenantColumn! },
    )
  }

  /** Every column name declared as holding personal data, for log redaction. */
  piiColumnNames(): string[] {
    return [...new Set(this.datasets.flatMap((d) => d.piiColumns.map((p) => p.column)))].sort()
  }

  /**
   * Checks every declaration against the live schema: the table exists and has every
   * declared column. For a per-tenant template, every existing table of the template is
   * checked (a tenant's table may legitimately not exist yet).
   */
  async validateAgainst(db: Kysely<any>): Promise<void> {
    const tables = await db.introspection.getTables()
    const byName = new Map(tables.map((t) => [t.name, new Set(t.columns.map((c) => c.name))]))
    for (const d of this.datasets) {
      const instances = isTenantTemplate(d)
        ? [...byName.keys()].filter((name) => templatePattern(d.table).test(name))
        : [d.table]
      for (const table of instances) {
        const columns = byName.get(table)
        if (columns === undefined)
          throw new DataMapInvalid(d.name, undefined, `table '${table}' does not exist`)
        for (const { column, field } of declaredColumns(d)) {
          if (!columns.has(column)) {
            throw new DataMapInvalid(d.name, column, `(${field}) does not exist in table '${table}'`)
          }
        }
      }
    }
  }
}

/**
 * True when two table names or templates could name the same table: equal names, a shared
 * table a template matches, or two templates whose fixed parts overlap (`cdr_{tenant}` for
 * tenant `x_a` and `cdr_x_{tenant}` for tenant `a` are both `cdr_x_a`). Names compare
 * case-insensitively, as the databases do.
 */
function tablesMayCollide(a: string, b: string): boolean {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()]
  if (x === y) return true
  const ta = x.includes(TENANT_PLACEHOLDER)
  const tb = y.includes(TENANT_PLACEHOLDER)
  if (!ta && !tb) return false
  if (ta && !tb) return new RegExp(templatePattern(x).source, 'i').test(y)
  if (!ta && tb) return new RegExp(templatePattern(y).source, 'i').test(x)
  const [pa, sa] = x.split(TENANT_PLACEHOLDER) as [string, string]
  const [pb, sb] = y.split(TENANT_PLACEHOLDER) as [string, string]
  return (pa.startsWith(pb) || pb.startsWith(pa)) && (sa.endsWith(sb) || sb.endsWith(sa))
}

/**
 * A declaration may name one of callwarden's own tenant tables only with its own tenant
 * column, and a per-tenant template may never resolve to a `cw_` table: either would let a
 * declaration redefine which rows of callwarden's tables a tenant owns.
 */
function assertNotCoreTable(d: DatasetDeclaration): void {
  const table = d.table.toLowerCase()
  if (isTenantTemplate(d)) {
    const pattern = new RegExp(templatePattern(table).source, 'i')
    const core = CORE_TENANT_TABLES.find((t) => pattern.test(t))
    if (table.startsWith('cw_') || core !== undefined) {
      throw new DataMapInvalid(
        d.name,
        undefined,
        `template '${d.table}' can resolve to callwarden's own table${core === undefined ? 's' : ` '${core}'`}; the cw_ prefix is reserved`,
      )
    }
    return
  }
  const core = CORE_TENANT_TABLES.find((t) => t === table)
  if (core !== undefined && d.tenantColumn?.toLowerCase() !== CORE_TENANT_COLUMN) {
    throw new DataMapInvalid(
      d.name,
      'tenantColumn',
      `must be '${CORE_TENANT_COLUMN}' for callwarden's own table '${core}', got '${d.tenantColumn ?? '(none)'}'`,
    )
  }
}

/** The regular expression matching a template's tables; group 1 is the tenant id. */
export function templatePattern(template: string): RegExp {
  const [before, after] = template.split(TENANT_PLACEHOLDER) as [string, string]
  return new RegExp(`^${before}([a-z0-9][a-z0-9_-]{0,39})${after}$`)
}
