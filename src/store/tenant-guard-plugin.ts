/**
 * Defence in depth for tenant isolation: a kysely plugin that inspects every query before
 * it is compiled and rejects (`ERR_TENANT_SCOPE`) any that touches a tenant-scoped table
 * without a tenant predicate.
 *
 * The rules, all applied to every query node in the tree (subqueries and CTEs included):
 * - Names are compared case-insensitively, as SQLite and MySQL compare them.
 * - A shared table read, updated or deleted from counts as scoped when the WHERE clause has,
 *   among its top-level AND conjuncts, `tenant_column = <tenant id>` naming that table (or
 *   its alias). For an INNER or LEFT joined table the conjunct may instead stand in its ON
 *   clause; a RIGHT or FULL join keeps unmatched rows, so there it must be in WHERE. A
 *   predicate under an OR does not count.
 * - Bound to one tenant (a `TenantScope`'s guard), every tenant predicate, every inserted
 *   tenant value and every per-tenant table (`cdr_{tenant}`) must be that tenant's.
 * - Inserts set the tenant column on every row with VALUES. Nothing may change a tenant
 *   column: not an UPDATE, not an upsert's update clause. Upserts must name the tenant column
 *   in their conflict target (so a conflict with another tenant's key cannot update it);
 *   MySQL's ON DUPLICATE KEY UPDATE cannot name its key and is refused, as are REPLACE and
 *   INSERT OR REPLACE (they delete the conflicting row, whoever owns it). MERGE is refused.
 * - A tenant-scoped table may not appear anywhere else: not as `sql.table(...)`, not in a raw
 *   `sql` fragment. Raw SQL that names no tenant-scoped table is left alone.
 *
 * Queries compiled by hand and sent with `executeQuery()` bypass all plugins; the store
 * never does that with tenant data.
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

/** A table in a FROM, JOIN or statement-target position. */
interface TableRef {
  /** The TableNode itself, so stray references elsewhere can be told apart. */
  readonly node: Node
  /** The table name, lower-cased. */
  readonly table: string
  /** The name columns are qualified with (the alias, or the table name), lower-cased. */
  readonly qualifier: string
  /** The join's ON condition, when the ON clause filters this table's rows. */
  readonly on: OperationNode | undefined
}

/** Joins whose ON clause filters the joined table's rows. */
const FILTERING_JOINS = new Set(['InnerJoin', 'LeftJoin', 'LateralInnerJoin', 'LateralLeftJoin'])

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
  #rules: CompiledRules
  readonly #tenantId: string | undefined

  constructor(options: TenantGuardOptions) {
    this.#rules = compileRules(options.rules)
    this.#tenantId = options.tenantId
  }

  /**
   * A guard with the same rules bound to one tenant. The compiled rules are shared, so a
   * scope per request costs one small object, not a rebuild of the table map and regexes.
   */
  withTenant(tenantId: string): TenantGuardPlugin {
    const bound = new TenantGuardPlugin({ rules: [], tenantId })
    bound.#rules = this.#rules
    return bound
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const placed = new Set<Node>()
    this.#visit(args.node as Node, placed)
    this.#rejectStray(args.node as Node, placed)
    return args.node
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  }

  /** Checks every query node in the tree; records the table nodes in recognised positions. */
  #visit(node: Node, placed: Set<Node>): void {
    switch (node.kind) {
      case 'SelectQueryNode':
        this.#checkFiltered(node, [...froms(node.from), ...joins(node.joins)], placed)
        break
      case 'UpdateQueryNode': {
        const targets = listItems(node.table).map((t) => tableOf(t, undefined))
        const refs = [...targets, ...froms(node.from), ...joins(node.joins)]
        this.#checkFiltered(node, refs, placed)
        this.#checkNoTenantColumnChange(node.updates, refs)
        break
      }
      case 'DeleteQueryNode':
        this.#checkFiltered(node, [...froms(node.from), ...froms(node.using), ...joins(node.joins)], placed)
        break
      case 'InsertQueryNode':
        this.#checkInsert(node, placed)
        break
      case 'MergeQueryNode': {
        const target = tableOf(node.into, undefined)
        if (target !== undefined && this.#kind(target.table) !== undefined) {
          throw new TenantScopeViolation(target.table, 'MERGE is not supported on tenant-scoped tables')
        }
        break
      }
      default:
        break
    }
    for (const child of children(node)) this.#visit(child, placed)
  }

  #kind(table: string): 'shared' | 'per-tenant' | undefined {
    if (this.#rules.shared.has(table)) return 'shared'
    return this.#rules.templates.some((p) => p.test(table)) ? 'per-tenant' : undefined
  }

  #checkFiltered(node: Node, refs: readonly (TableRef | undefined)[], placed: Set<Node>): void {
    const scoped = refs.filter((r): r is TableRef => r !== undefined && this.#kind(r.table) !== undefined)
    const where = conjuncts(node.where?.where)
    for (const ref of scoped) {
      placed.add(ref.node)
      const tenantColumn = this.#rules.shared.get(ref.table)
      if (tenantColumn === undefined) {
        this.#checkPerTenantTable(ref.table)
        continue
      }
      // Every candidate is examined: a bound guard must also see a second predicate naming
      // another tenant, not stop at the first that names its own.
      const candidates = [...where, ...conjuncts(ref.on)]
      const predicates = candidates.filter((c) =>
        this.#isTenantPredicate(c, ref, tenantColumn, scoped.length === 1),
      )
      if (predicates.length === 0) {
        throw new TenantScopeViolation(
          ref.table,
          `${node.kind.replace('QueryNode', '').toLowerCase()} without a top-level predicate '${ref.qualifier}.${tenantColumn} = <tenant>'`,
        )
      }
    }
  }

  #checkPerTenantTable(table: string): void {
    if (this.#tenantId === undefined) return
    const own = this.#rules.templates.some((p) => p.exec(table)?.[1]?.toLowerCase() === this.#tenantId)
    if (!own)
      throw new TenantScopeViolation(table, `table belongs to another tenant than '${this.#tenantId}'`)
  }

  #isTenantPredicate(node: Node, ref: TableRef, tenantColumn: string, onlyScopedRef: boolean): boolean {
    if (node.kind !== 'BinaryOperationNode' || node.operator?.operator !== '=') return false
    const sides: [Node, Node][] = [
      [node.leftOperand, node.rightOperand],
      [node.rightOperand, node.leftOperand],
    ]
    return sides.some(([column, value]) => {
      if (columnName(column) !== tenantColumn || !qualifiedBy(column, ref, onlyScopedRef)) return false
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

  /** Refuses any SET of a column that is the tenant column of a scoped table in the statement. */
  #checkNoTenantColumnChange(
    updates: readonly Node[] | undefined,
    refs: readonly (TableRef | undefined)[],
  ): void {
    const tenantColumns = new Map<string, string>()
    for (const ref of refs) {
      const column = ref === undefined ? undefined : this.#rules.shared.get(ref.table)
      if (column !== undefined) tenantColumns.set(column, ref!.table)
    }
    for (const update of updates ?? []) {
      const name = columnName(update.column)
      if (name !== undefined && tenantColumns.has(name)) {
        throw new TenantScopeViolation(
          tenantColumns.get(name)!,
          `an update may not change the tenant column '${name}'`,
        )
      }
    }
  }

  #checkInsert(node: Node, placed: Set<Node>): void {
    const target = node.into === undefined ? undefined : tableOf(node.into, undefined)
    if (target === undefined) return
    const kind = this.#kind(target.table)
    if (kind === undefined) return
    placed.add(target.node)
    if (kind === 'per-tenant') return this.#checkPerTenantTable(target.table)
    const tenantColumn = this.#rules.shared.get(target.table)!
    const refuse = (reason: string) => new TenantScopeViolation(target.table, reason)
    if (node.replace === true || node.orAction?.action === 'replace') {
      throw refuse("REPLACE deletes the conflicting row whoever owns it; use an upsert on the tenant's key")
    }
    if (node.onDuplicateKey !== undefined) {
      throw refuse('ON DUPLICATE KEY UPDATE cannot name its key; use insertIfAbsent and a scoped update')
    }
    const conflict = node.onConflict as Node | undefined
    if (conflict !== undefined && conflict.doNothing !== true) {
      const keys = ((conflict.columns ?? []) as Node[]).map((c) => columnName(c))
      if (!keys.includes(tenantColumn)) {
        throw refuse(`an upsert's conflict target must include the tenant column '${tenantColumn}'`)
      }
      for (const update of (conflict.updates ?? []) as Node[]) {
        if (columnName(update.column) === tenantColumn) {
          throw refuse(`an upsert may not change the tenant column '${tenantColumn}'`)
        }
      }
    }
    const index = ((node.columns ?? []) as Node[]).findIndex((c) => columnName(c) === tenantColumn)
    const values = node.values as Node | undefined
    if (index < 0 || values?.kind !== 'ValuesNode') {
      throw refuse(`insert must set '${tenantColumn}' with VALUES on every row`)
    }
    for (const row of values.values as Node[]) {
      const value =
        row.kind === 'PrimitiveValueListNode'
          ? row.values[index]
          : row.kind === 'ValueListNode' && row.values[index]?.kind === 'ValueNode'
            ? row.values[index].value
            : undefined
      if (typeof value !== 'string')
        throw refuse(`insert must set '${tenantColumn}' to a tenant id on every row`)
      if (this.#tenantId !== undefined && value !== this.#tenantId) {
        throw refuse(`insert names another tenant than the scope's '${this.#tenantId}'`)
      }
    }
  }

  /**
   * Rejects tenant-scoped tables anywhere but the positions checked above: `sql.table()`
   * parameters, raw SQL text naming them. Column qualifiers (`t.col`) are not table uses.
   */
  #rejectStray(node: Node, placed: Set<Node>): void {
    if (node.kind === 'ReferenceNode') return
    if (node.kind === 'TableNode' && !placed.has(node)) {
      const table = String(node.table.identifier.name).toLowerCase()
      if (this.#kind(table) !== undefined) {
        throw new TenantScopeViolation(
          table,
          'referenced outside a FROM, JOIN or statement target (raw SQL?)',
        )
      }
    }
    if (node.kind === 'RawNode' && this.#rules.rawNames !== undefined) {
      const match = this.#rules.rawNames.exec((node.sqlFragments as string[]).join(' '))
      if (match !== null) {
        throw new TenantScopeViolation(
          match[1]!.toLowerCase(),
          'named in raw SQL, which the tenant guard cannot check',
        )
      }
    }
    for (const child of children(node)) this.#rejectStray(child, placed)
  }
}

/** The rules in the form the checks use: lower-cased names and case-insensitive patterns. */
interface CompiledRules {
  /** Shared table → its tenant column. */
  readonly shared: ReadonlyMap<string, string>
  /** Per-tenant table patterns; group 1 is the tenant id. */
  readonly templates: readonly RegExp[]
  /** Matches a scoped table name inside raw SQL text. */
  readonly rawNames: RegExp | undefined
}

function compileRules(rules: readonly TenantTableRule[]): CompiledRules {
  const shared = rules.filter((r) => r.table !== undefined)
  const templates = rules.flatMap((r) => (r.pattern === undefined ? [] : [new RegExp(r.pattern.source, 'i')]))
  const words = [
    ...shared.map((r) => escapeRegExp(r.table!)),
    ...templates.map((p) => p.source.replace(/^\^/, '').replace(/\$$/, '').replace('{0,39}', '*')),
  ]
  return {
    shared: new Map(shared.map((r) => [r.table!.toLowerCase(), r.tenantColumn!.toLowerCase()])),
    templates,
    rawNames:
      words.length === 0
        ? undefined
        : new RegExp(`(?<![A-Za-z0-9_])(${words.join('|')})(?![A-Za-z0-9_])`, 'i'),
  }
}

/** The table behind a FROM/JOIN/target item, or undefined for subqueries and raw SQL. */
function tableOf(node: Node | undefined, on: OperationNode | undefined): TableRef | undefined {
  if (node?.kind === 'TableNode') {
    const table = String(node.table.identifier.name).toLowerCase()
    return { node, table, qualifier: table, on }
  }
  if (node?.kind === 'AliasNode' && node.node.kind === 'TableNode') {
    const table = String(node.node.table.identifier.name).toLowerCase()
    const alias = node.alias.kind === 'IdentifierNode' ? String(node.alias.name).toLowerCase() : table
    return { node: node.node, table, qualifier: alias, on }
  }
  return undefined
}

function listItems(node: Node | undefined): Node[] {
  if (node === undefined) return []
  return node.kind === 'ListNode' ? [...node.items] : [node]
}

function froms(from: Node | undefined): (TableRef | undefined)[] {
  return ((from?.froms ?? from?.tables ?? []) as Node[]).map((f) => tableOf(f, undefined))
}

function joins(list: readonly Node[] | undefined): (TableRef | undefined)[] {
  return (list ?? []).map((j) => tableOf(j.table, FILTERING_JOINS.has(j.joinType) ? j.on?.on : undefined))
}

/** The top-level AND conjuncts of a condition (parentheses removed). */
function conjuncts(node: Node | undefined): Node[] {
  if (node === undefined) return []
  if (node.kind === 'AndNode') return [...conjuncts(node.left), ...conjuncts(node.right)]
  if (node.kind === 'ParensNode') return conjuncts(node.node)
  return [node]
}

/** The lower-cased column name of a column or reference node. */
function columnName(node: Node | undefined): string | undefined {
  if (node?.kind === 'ColumnNode') return String(node.column.name).toLowerCase()
  if (node?.kind === 'ReferenceNode' && node.column.kind === 'ColumnNode') {
    return String(node.column.column.name).toLowerCase()
  }
  return undefined
}

/** True when a column reference belongs to `ref` (qualified by it, or unqualified and alone). */
function qualifiedBy(node: Node, ref: TableRef, unqualifiedAllowed: boolean): boolean {
  if (node.kind === 'ReferenceNode' && node.table !== undefined) {
    return String(node.table.table.identifier.name).toLowerCase() === ref.qualifier
  }
  return unqualifiedAllowed
}

/** Child nodes of an operation node, for the recursive walks. */
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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
