/**
 * Defence in depth for tenant isolation: a kysely plugin that inspects every query before
 * it is compiled and rejects (`ERR_TENANT_SCOPE`) any that touches a tenant-scoped table
 * without a tenant predicate.
 *
 * A table reference counts as scoped when the query's WHERE clause (or the reference's own
 * JOIN ... ON clause) has, among its top-level AND conjuncts, `tenant_column = <value>`
 * naming that table or its alias. A predicate under an OR does not count: `tenant = 'a' or
 * true` would scope nothing. A plugin bound to one tenant additionally requires the value
 * to be that tenant, so a scope for tenant A cannot read tenant B even by asking for it.
 *
 * Inserts must set the tenant column on every row; updates may not change it. Per-tenant
 * tables (`cdr_{tenant}`) are scoped by their name. Subqueries and CTEs are checked like
 * top-level queries. Raw SQL (`sql\`...\``) cannot be parsed and is not checked: the store
 * itself never reads tenant data through raw SQL.
 *
 * @module
 */
import type {
  KyselyPlugin,
  OperationNode,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely'
import { TenantScopeViolation } from '../errors.js'
import type { TenantTableRule } from './data-map/data-map.js'

/** Options of {@link TenantGuardPlugin}. */
export interface TenantGuardOptions {
  /** The tenant-scoped tables. */
  readonly rules: readonly TenantTableRule[]
  /** When set, every tenant predicate and inserted tenant value must equal this tenant. */
  readonly tenantId?: string
}

type Node = OperationNode & Record<string, any>

interface TableRef {
  /** The table name. */
  readonly table: string
  /** The name columns are qualified with (the alias, or the table name). */
  readonly qualifier: string
  /** The tenant column, for shared tables; undefined for per-tenant tables. */
  readonly tenantColumn: string | undefined
  /** The join's ON condition, when the table was joined. */
  readonly on: OperationNode | undefined
}

/**
 * Rejects queries that touch tenant-scoped tables without a tenant predicate.
 *
 * @example
 * ```ts
 * const guarded = db.withPlugin(new TenantGuardPlugin({ rules: dataMap.tenantTableRules() }))
 * await guarded.selectFrom('cc_service_records').selectAll().execute() // throws ERR_TENANT_SCOPE
 * ```
 */
export class TenantGuardPlugin implements KyselyPlugin {
  readonly #shared: ReadonlyMap<string, string>
  readonly #templates: readonly RegExp[]
  readonly #tenantId: string | undefined

  constructor(options: TenantGuardOptions) {
    this.#shared = new Map(
      options.rules.filter((r) => r.table !== undefined).map((r) => [r.table!, r.tenantColumn!]),
    )
    this.#templates = options.rules.flatMap((r) => (r.pattern === undefined ? [] : [r.pattern]))
    this.#tenantId = options.tenantId
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.#visit(args.node as Node)
    return args.node
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  }

  /** Checks every query node in the tree (subqueries, CTEs, joins of subqueries). */
  #visit(node: Node): void {
    switch (node.kind) {
      case 'SelectQueryNode':
        this.#checkFiltered(node, [...froms(node.from), ...joins(node.joins)])
        break
      case 'UpdateQueryNode':
        this.#checkFiltered(node, [
          ...(node.table === undefined ? [] : [tableOf(node.table, undefined)]),
          ...froms(node.from),
          ...joins(node.joins),
        ])
        this.#checkUpdates(node)
        break
      case 'DeleteQueryNode':
        this.#checkFiltered(node, [...froms(node.from), ...froms(node.using), ...joins(node.joins)])
        break
      case 'InsertQueryNode':
        this.#checkInsert(node)
        break
      case 'MergeQueryNode':
        this.#rejectIfScoped(
          [tableOf(node.into, undefined)],
          'MERGE is not supported on tenant-scoped tables',
        )
        break
      default:
        break
    }
    for (const child of children(node)) this.#visit(child)
  }

  #describe(ref: { table: string } | undefined): string | undefined {
    if (ref === undefined) return undefined
    if (this.#shared.has(ref.table)) return 'shared'
    return this.#templates.find((p) => p.test(ref.table)) === undefined ? undefined : 'per-tenant'
  }

  #checkFiltered(node: Node, refs: readonly (RawRef | undefined)[]): void {
    const where = conjuncts(node.where?.where)
    const scopedRefs = refs.filter((r): r is RawRef => this.#describe(r) !== undefined)
    for (const raw of scopedRefs) {
      const ref: TableRef = { ...raw, tenantColumn: this.#shared.get(raw.table) }
      if (ref.tenantColumn === undefined) {
        this.#checkPerTenantTable(ref.table)
        continue
      }
      const candidates = [...where, ...conjuncts(ref.on)]
      // Every candidate is examined: a bound guard must also see a second predicate naming
      // another tenant, not stop at the first that names its own.
      const predicates = candidates.filter((c) => this.#isTenantPredicate(c, ref, scopedRefs.length === 1))
      if (predicates.length === 0) {
        throw new TenantScopeViolation(
          ref.table,
          `${node.kind.replace('QueryNode', '').toLowerCase()} without a top-level predicate '${ref.qualifier}.${ref.tenantColumn} = <tenant>'`,
        )
      }
    }
  }

  #checkPerTenantTable(table: string): void {
    if (this.#tenantId === undefined) return
    const own = this.#templates.some((p) => p.exec(table)?.[1] === this.#tenantId)
    if (!own) {
      throw new TenantScopeViolation(table, `table belongs to another tenant than '${this.#tenantId}'`)
    }
  }

  #isTenantPredicate(node: Node, ref: TableRef, onlyScopedRef: boolean): boolean {
    if (node.kind !== 'BinaryOperationNode' || node.operator?.operator !== '=') return false
    const sides: [Node, Node][] = [
      [node.leftOperand, node.rightOperand],
      [node.rightOperand, node.leftOperand],
    ]
    return sides.some(([column, value]) => {
      if (!refersTo(column, ref, onlyScopedRef)) return false
      if (value.kind !== 'ValueNode' || typeof value.value !== 'string') return false
      if (this.#tenantId !== undefined && value.value !== this.#tenantId) {
        throw new TenantScopeViolation(
          ref.table,
          `predicate names another tenant than the scope's '${this.#tenantId}'`,
        )
      }
      return true
    })
  }

  #checkUpdates(node: Node): void {
    const target = node.table === undefined ? undefined : tableOf(node.table, undefined)
    const tenantColumn = target === undefined ? undefined : this.#shared.get(target.table)
    if (tenantColumn === undefined) return
    for (const update of (node.updates ?? []) as Node[]) {
      if (columnName(update.column) === tenantColumn) {
        throw new TenantScopeViolation(
          target!.table,
          `update may not change the tenant column '${tenantColumn}'`,
        )
      }
    }
  }

  #checkInsert(node: Node): void {
    const target = node.into === undefined ? undefined : tableOf(node.into, undefined)
    const kind = this.#describe(target)
    if (target === undefined || kind === undefined) return
    if (kind === 'per-tenant') return this.#checkPerTenantTable(target.table)
    const tenantColumn = this.#shared.get(target.table)!
    const index = ((node.columns ?? []) as Node[]).findIndex((c) => columnName(c) === tenantColumn)
    const values = node.values as Node | undefined
    if (index < 0 || values?.kind !== 'ValuesNode') {
      throw new TenantScopeViolation(
        target.table,
        `insert must set '${tenantColumn}' with VALUES on every row`,
      )
    }
    for (const row of values.values as Node[]) {
      const value =
        row.kind === 'PrimitiveValueListNode'
          ? row.values[index]
          : row.kind === 'ValueListNode' && row.values[index]?.kind === 'ValueNode'
            ? row.values[index].value
            : undefined
      if (typeof value !== 'string') {
        throw new TenantScopeViolation(
          target.table,
          `insert must set '${tenantColumn}' to a tenant id on every row`,
        )
      }
      if (this.#tenantId !== undefined && value !== this.#tenantId) {
        throw new TenantScopeViolation(
          target.table,
          `insert names another tenant than the scope's '${this.#tenantId}'`,
        )
      }
    }
  }

  #rejectIfScoped(refs: readonly (RawRef | undefined)[], reason: string): void {
    const scoped = refs.find((r) => this.#describe(r) !== undefined)
    if (scoped !== undefined) throw new TenantScopeViolation(scoped.table, reason)
  }
}

interface RawRef {
  readonly table: string
  readonly qualifier: string
  readonly on: OperationNode | undefined
}

/** The table behind a FROM/JOIN item, or undefined for subqueries and functions. */
function tableOf(node: Node, on: OperationNode | undefined): RawRef | undefined {
  if (node.kind === 'TableNode') {
    const table = node.table.identifier.name as string
    return { table, qualifier: table, on }
  }
  if (node.kind === 'AliasNode' && node.node.kind === 'TableNode') {
    const table = node.node.table.identifier.name as string
    const alias = node.alias.kind === 'IdentifierNode' ? (node.alias.name as string) : table
    return { table, qualifier: alias, on }
  }
  return undefined
}

function froms(from: Node | undefined): (RawRef | undefined)[] {
  return ((from?.froms ?? from?.tables ?? []) as Node[]).map((f) => tableOf(f, undefined))
}

function joins(list: readonly Node[] | undefined): (RawRef | undefined)[] {
  return (list ?? []).map((j) => tableOf(j.table, j.on?.on))
}

/** The top-level AND conjuncts of a condition (parentheses removed). */
function conjuncts(node: Node | undefined): Node[] {
  if (node === undefined) return []
  if (node.kind === 'AndNode') return [...conjuncts(node.left), ...conjuncts(node.right)]
  if (node.kind === 'ParensNode') return conjuncts(node.node)
  return [node]
}

function columnName(node: Node | undefined): string | undefined {
  if (node?.kind === 'ColumnNode') return node.column.name
  if (node?.kind === 'ReferenceNode' && node.column.kind === 'ColumnNode') return node.column.column.name
  return undefined
}

/** True when `node` is a reference to `ref`'s tenant column. */
function refersTo(node: Node, ref: TableRef, unqualifiedAllowed: boolean): boolean {
  if (columnName(node) !== ref.tenantColumn) return false
  if (node.kind === 'ReferenceNode' && node.table !== undefined) {
    return node.table.table.identifier.name === ref.qualifier
  }
  return unqualifiedAllowed
}

/** Child nodes of an operation node, for the recursive walk. */
function children(node: Node): Node[] {
  const out: Node[] = []
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) out.push(item)
    } else if (isNode(value)) {
      out.push(value)
    }
  }
  return out
}

function isNode(value: unknown): value is Node {
  return value !== null && typeof value === 'object' && typeof (value as { kind?: unknown }).kind === 'string'
}
