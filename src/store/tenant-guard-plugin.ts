/**
 * Defence in depth for tenant isolation: a kysely plugin that inspects every query before
 * it is compiled and rejects (`ERR_TENANT_SCOPE`) any that touches a tenant-scoped table
 * without a tenant predicate. It fails closed: what it cannot check, it refuses.
 *
 * The tenant-scoped tables are callwarden's own tenant-keyed tables (`CORE_TENANT_TABLES`,
 * always) and whatever rules the guard is given (the data map's datasets and templates).
 *
 * The rules, all applied to every query node in the tree (subqueries and CTEs included):
 * - Names are compared case-insensitively, as SQLite and MySQL compare them.
 * - A shared table read, updated or deleted from counts as scoped when the WHERE clause has,
 *   among its top-level AND conjuncts, `tenant_column = <tenant id>` naming that table (or
 *   its alias). For an INNER or LEFT joined table the conjunct may instead stand in its ON
 *   clause; a RIGHT or FULL join keeps unmatched rows, so there it must be in WHERE. A
 *   predicate under an OR does not count.
 * - Bound to one tenant (a `TenantScope`'s guard), every tenant predicate, every inserted
 *   tenant value and every per-tenant table (`cdr_{tenant}`) must be that tenant's; the query
 *   must be a select, insert, update or delete; every table it names must be a tenant-scoped
 *   table or one of the query's own CTEs; raw SQL may not be a FROM item and its text may not
 *   hold a statement keyword (`select`, `from`, `join`, `union`, …).
 * - Inserts set the tenant column on every row with VALUES. Nothing may change a tenant
 *   column: not an UPDATE, not an upsert's update clause. Upserts must name the tenant column
 *   in their conflict target (so a conflict with another tenant's key cannot update it);
 *   MySQL's ON DUPLICATE KEY UPDATE cannot name its key and is refused, as are REPLACE and
 *   INSERT OR REPLACE (they delete the conflicting row, whoever owns it). MERGE is refused.
 * - A tenant-scoped table may appear nowhere else: not as `sql.table()`, `sql.id()` or
 *   `sql.ref('table.column')`, not in raw text (quoted or not, with a schema or not, split
 *   across nested fragments or not), not as a CTE name or an alias.
 * - Raw SQL is judged on the text it will send, nested fragments joined as the compiler joins
 *   them. Anywhere, that text may not hold comments, statement separators, placeholders or
 *   variables (`?`, `:`, `@`, `$`), backslashes in quotes, unbalanced parentheses or quotes,
 *   or an OR outside parentheses: any of these could detach a tenant predicate.
 * - Raw modifiers (`modifyFront`, `modifyEnd`), `explain`, `top` and `output` are refused on a
 *   query that touches a tenant-scoped table, and always when bound to a tenant.
 * - Strings the compiler writes verbatim are checked: function names must be plain names,
 *   operators must be kysely's, data types kysely's. An operation node of a kind this guard
 *   does not know (a newer kysely) is refused.
 *
 * Queries compiled by hand and sent with `executeQuery()` bypass all plugins; the store
 * never does that with tenant data.
 *
 * @module
 */
import {
  OPERATORS,
  isColumnDataType,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely'
import { types } from 'node:util'
import { TenantScopeViolation } from '../errors.js'
import type { TenantTableRule } from './data-map/data-map.js'
import { CORE_TENANT_TABLE_RULES } from './tenant-tables.js'

/** Options of {@link TenantGuardPlugin}. */
export interface TenantGuardOptions {
  /**
   * The tenant-scoped tables besides callwarden's own (which every guard knows): usually
   * `dataMap.tenantTableRules()`.
   */
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

/** The statements a tenant-bound guard runs. */
const BOUND_ROOT_KINDS = new Set(['SelectQueryNode', 'InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode'])

/**
 * Every operation node kind of kysely 0.28. The guard has been checked against each; a kind
 * that is not here (a newer kysely) is refused rather than trusted.
 */
const KNOWN_NODE_KINDS = new Set([
  'AddColumnNode',
  'AddConstraintNode',
  'AddIndexNode',
  'AggregateFunctionNode',
  'AliasNode',
  'AlterColumnNode',
  'AlterTableNode',
  'AndNode',
  'BinaryOperationNode',
  'CaseNode',
  'CastNode',
  'CheckConstraintNode',
  'CollateNode',
  'ColumnDefinitionNode',
  'ColumnNode',
  'ColumnUpdateNode',
  'CommonTableExpressionNameNode',
  'CommonTableExpressionNode',
  'CreateIndexNode',
  'CreateSchemaNode',
  'CreateTableNode',
  'CreateTypeNode',
  'CreateViewNode',
  'DataTypeNode',
  'DefaultInsertValueNode',
  'DefaultValueNode',
  'DeleteQueryNode',
  'DropColumnNode',
  'DropConstraintNode',
  'DropIndexNode',
  'DropSchemaNode',
  'DropTableNode',
  'DropTypeNode',
  'DropViewNode',
  'ExplainNode',
  'FetchNode',
  'ForeignKeyConstraintNode',
  'FromNode',
  'FunctionNode',
  'GeneratedNode',
  'GroupByItemNode',
  'GroupByNode',
  'HavingNode',
  'IdentifierNode',
  'InsertQueryNode',
  'JSONOperatorChainNode',
  'JSONPathLegNode',
  'JSONPathNode',
  'JSONReferenceNode',
  'JoinNode',
  'LimitNode',
  'ListNode',
  'MatchedNode',
  'MergeQueryNode',
  'ModifyColumnNode',
  'OffsetNode',
  'OnConflictNode',
  'OnDuplicateKeyNode',
  'OnNode',
  'OperatorNode',
  'OrActionNode',
  'OrNode',
  'OrderByItemNode',
  'OrderByNode',
  'OutputNode',
  'OverNode',
  'ParensNode',
  'PartitionByItemNode',
  'PartitionByNode',
  'PrimaryKeyConstraintNode',
  'PrimitiveValueListNode',
  'RawNode',
  'ReferenceNode',
  'ReferencesNode',
  'RefreshMaterializedViewNode',
  'RenameColumnNode',
  'RenameConstraintNode',
  'ReturningNode',
  'SchemableIdentifierNode',
  'SelectAllNode',
  'SelectModifierNode',
  'SelectQueryNode',
  'SelectionNode',
  'SetOperationNode',
  'TableNode',
  'TopNode',
  'TupleNode',
  'UnaryOperationNode',
  'UniqueConstraintNode',
  'UpdateQueryNode',
  'UsingNode',
  'ValueListNode',
  'ValueNode',
  'ValuesNode',
  'WhenNode',
  'WhereNode',
  'WithNode',
])

/**
 * Words that, in raw text inside a tenant-bound query, could bring in a table or a second
 * statement. Refused there even when no tenant table is named: the guard cannot know the
 * host's undeclared tables.
 */
const RAW_STATEMENT_WORDS = [
  'select',
  'from',
  'join',
  'union',
  'intersect',
  'except',
  'with',
  'into',
  'update',
  'delete',
  'insert',
  'replace',
  'table',
  'values',
  'using',
  'returning',
  'lateral',
  'pragma',
  'attach',
  'load_file',
  'outfile',
  'dumpfile',
  'handler',
  'call',
  'execute',
  'prepare',
] as const
const STATEMENT_WORDS: ReadonlySet<string> = new Set(RAW_STATEMENT_WORDS)

/** Punctuation raw text may hold outside quotes; anything else is refused. */
const RAW_PUNCTUATION = new Set([...'.,()*+-/%=<>!'])
const RAW_WHITESPACE = new Set([' ', '\t', '\r', '\n'])
const WORD_CHAR = /[\p{L}\p{N}_]/u
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const EXPLAIN_FORMAT = /^[A-Za-z]+$/

/**
 * Rejects queries that touch tenant-scoped tables without a tenant predicate.
 *
 * @example
 * ```ts
 * const guarded = db.withPlugin(new TenantGuardPlugin({ rules: dataMap.tenantTableRules() }))
 * await guarded.selectFrom('cc_service_records').selectAll().execute() // throws ERR_TENANT_SCOPE
 * await guarded.selectFrom('cw_consents').selectAll().execute() // throws too: callwarden's own
 * ```
 */
export class TenantGuardPlugin implements KyselyPlugin {
  #rules: CompiledRules
  readonly #tenantId: string | undefined

  constructor(options: TenantGuardOptions) {
    // Core rules last: a later rule for the same table would otherwise replace them.
    this.#rules = compileRules([...options.rules, ...CORE_TENANT_TABLE_RULES])
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
    assertPlainTree(args.node)
    new QueryCheck(this.#rules, this.#tenantId).run(args.node as Node)
    return args.node
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  }
}

/** The checks of one query; holds what the structural pass learnt for the stray pass. */
class QueryCheck {
  readonly #rules: CompiledRules
  readonly #tenantId: string | undefined
  /** TableNodes in FROM, JOIN or target positions (tenant tables and CTE references). */
  readonly #placed = new Set<Node>()
  /** TableNodes naming CTEs. */
  readonly #cteNames = new Set<Node>()
  /** Raw modifiers, `explain`, `top` and `output` clauses met, by what they are. */
  readonly #modifiers: string[] = []
  #touchesTenantTable = false

  constructor(rules: CompiledRules, tenantId: string | undefined) {
    this.#rules = rules
    this.#tenantId = tenantId
  }

  get #bound(): boolean {
    return this.#tenantId !== undefined
  }

  run(root: Node): void {
    if (this.#bound && !BOUND_ROOT_KINDS.has(root.kind)) {
      throw new TenantScopeViolation(
        '(none)',
        `a tenant-bound database runs only select, insert, update and delete queries, not ${root.kind}`,
      )
    }
    this.#visit(root, new Set())
    this.#rejectStray(root)
    if (this.#modifiers.length > 0 && (this.#bound || this.#touchesTenantTable)) {
      throw new TenantScopeViolation(
        '(query)',
        `${this.#modifiers[0]} cannot be checked by the tenant guard and is refused on tenant tables`,
      )
    }
  }

  #kind(table: string): 'shared' | 'per-tenant' | undefined {
    if (this.#rules.shared.has(table)) return 'shared'
    return this.#rules.templates.some((p) => p.test(table)) ? 'per-tenant' : undefined
  }

  /** Checks every query node in the tree; `ctes` are the CTE names visible at `node`. */
  #visit(node: Node, ctes: ReadonlySet<string>): void {
    const withNode = node.with as Node | undefined
    let visible = ctes
    if (withNode?.kind === 'WithNode') visible = this.#visitWith(withNode, ctes)
    switch (node.kind) {
      case 'SelectQueryNode':
        this.#checkFiltered(node, [...this.#froms(node.from, visible), ...this.#joins(node.joins, visible)])
        for (const m of [...(node.frontModifiers ?? []), ...(node.endModifiers ?? [])] as Node[]) {
          if (m.rawModifier !== undefined)
            this.#modifiers.push('a raw select modifier (modifyFront/modifyEnd)')
        }
        this.#noteClauses(node)
        break
      case 'UpdateQueryNode': {
        const targets = this.#refs(listItems(node.table), visible)
        const refs = [...targets, ...this.#froms(node.from, visible), ...this.#joins(node.joins, visible)]
        this.#checkFiltered(node, refs)
        this.#checkNoTenantColumnChange(node.updates, refs)
        this.#noteClauses(node)
        break
      }
      case 'DeleteQueryNode':
        this.#checkFiltered(node, [
          ...this.#froms(node.from, visible),
          ...this.#froms(node.using, visible),
          ...this.#joins(node.joins, visible),
        ])
        this.#noteClauses(node)
        break
      case 'InsertQueryNode':
        this.#checkInsert(node, visible)
        this.#noteClauses(node)
        break
      case 'MergeQueryNode': {
        const target = tableOf(node.into, undefined)
        if (this.#bound || (target !== undefined && this.#kind(target.table) !== undefined)) {
          throw new TenantScopeViolation(
            target?.table ?? '(merge)',
            'MERGE is not supported on tenant-scoped tables',
          )
        }
        break
      }
      case 'AliasNode':
        this.#checkAlias(node)
        break
      default:
        break
    }
    for (const [key, child] of childEntries(node)) {
      if (key === 'with' && child === withNode) continue
      this.#visit(child, visible)
    }
  }

  /**
   * Checks a WITH clause and returns the CTE names visible in the statement. A CTE's body
   * sees the CTEs before it (all of them when recursive): a name not yet defined there means
   * the table of that name, so it must not count as a CTE.
   */
  #visitWith(withNode: Node, ctes: ReadonlySet<string>): ReadonlySet<string> {
    const expressions = (withNode.expressions ?? []) as Node[]
    const names = expressions.map((e) => {
      const table = e.name?.table as Node | undefined
      if (table?.kind !== 'TableNode') throw new TenantScopeViolation('(with)', 'a CTE without a plain name')
      this.#cteNames.add(table)
      const name = tableName(table)
      if (this.#kind(name) !== undefined) {
        throw new TenantScopeViolation(name, 'a CTE may not be named like a tenant-scoped table')
      }
      return name
    })
    const all = new Set([...ctes, ...names])
    expressions.forEach((e, i) => {
      const seen = withNode.recursive === true ? all : new Set([...ctes, ...names.slice(0, i)])
      this.#visit(e, seen)
    })
    return all
  }

  /** `explain`, `top` and `output` write text or rows the guard does not check. */
  #noteClauses(node: Node): void {
    if (node.explain !== undefined) this.#modifiers.push('explain')
    if (node.top !== undefined) this.#modifiers.push('top')
    if (node.output !== undefined) this.#modifiers.push('output')
    if (node.kind !== 'SelectQueryNode' && (node.endModifiers ?? []).length > 0) {
      this.#modifiers.push('a raw modifier (modifyEnd)')
    }
    if ((node.frontModifiers ?? []).length > 0 && node.kind !== 'SelectQueryNode') {
      this.#modifiers.push('a raw modifier (modifyFront)')
    }
  }

  #checkAlias(node: Node): void {
    if (node.alias?.kind !== 'IdentifierNode') return
    const alias = String(node.alias.name).toLowerCase()
    if (this.#kind(alias) === undefined) return
    if (node.node?.kind === 'TableNode' && tableName(node.node) === alias) return
    throw new TenantScopeViolation(alias, 'an alias may not be named like a tenant-scoped table')
  }

  /** Table refs of FROM-like items; raw FROM items are refused when bound. */
  #froms(from: Node | undefined, ctes: ReadonlySet<string>): (TableRef | undefined)[] {
    return this.#refs((from?.froms ?? from?.tables ?? []) as Node[], ctes)
  }

  #joins(list: readonly Node[] | undefined, ctes: ReadonlySet<string>): (TableRef | undefined)[] {
    return (list ?? []).map((j) => {
      const [ref] = this.#refs([j.table], ctes)
      return ref === undefined
        ? undefined
        : { ...ref, on: FILTERING_JOINS.has(j.joinType) ? j.on?.on : undefined }
    })
  }

  /**
   * The table refs among FROM/JOIN/target items. CTE references are placed and dropped (their
   * bodies are checked where they are defined); bound to a tenant, every other table must be
   * tenant-scoped and no item may be raw SQL.
   */
  #refs(items: readonly Node[], ctes: ReadonlySet<string>): (TableRef | undefined)[] {
    return items.map((item) => {
      const inner = item?.kind === 'AliasNode' ? (item.node as Node) : item
      if (this.#bound && inner?.kind === 'RawNode') {
        throw new TenantScopeViolation('(raw)', 'raw SQL as a table in a tenant-bound query')
      }
      const ref = tableOf(item, undefined)
      if (ref === undefined) return undefined
      if (ref.node.table.schema !== undefined && (this.#bound || this.#kind(ref.table) !== undefined)) {
        // Another database's copy of a tenant table is not this store's tenant data.
        throw new TenantScopeViolation(ref.table, 'a tenant table may not be named with a schema (database)')
      }
      if (this.#kind(ref.table) === undefined) {
        if (ctes.has(ref.table)) {
          this.#placed.add(ref.node)
          return undefined
        }
        if (this.#bound) {
          throw new TenantScopeViolation(
            ref.table,
            'not a tenant-scoped table; a tenant-bound query reads only tenant tables and its own CTEs',
          )
        }
      }
      return ref
    })
  }

  #checkFiltered(node: Node, refs: readonly (TableRef | undefined)[]): void {
    const scoped = refs.filter((r): r is TableRef => r !== undefined && this.#kind(r.table) !== undefined)
    const where = conjuncts(node.where?.where)
    for (const ref of scoped) {
      this.#placed.add(ref.node)
      this.#touchesTenantTable = true
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

  #checkInsert(node: Node, ctes: ReadonlySet<string>): void {
    if (node.into === undefined) return
    const [target] = this.#refs([node.into], ctes)
    if (target === undefined) return
    const kind = this.#kind(target.table)
    if (kind === undefined) return
    this.#placed.add(target.node)
    this.#touchesTenantTable = true
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
   * The second pass, over every node: tenant tables outside the positions checked above,
   * raw text, verbatim strings and unknown node kinds. Column qualifiers (`t.col`) outside
   * raw SQL are not table uses.
   */
  #rejectStray(node: Node): void {
    if (!KNOWN_NODE_KINDS.has(node.kind)) {
      throw new TenantScopeViolation(
        '(query)',
        `an operation node the tenant guard does not know: ${node.kind}`,
      )
    }
    switch (node.kind) {
      case 'ReferenceNode':
        return
      case 'TableNode':
        this.#checkStrayTable(node)
        return
      case 'RawNode':
        this.#checkRawText(renderRaw(node), 'raw SQL')
        break
      case 'ValueNode':
        if (node.immediate === true && typeof node.value === 'string') {
          this.#checkRawText(quoteLiteral(node.value), 'a literal (sql.lit)')
        }
        break
      case 'FunctionNode':
      case 'AggregateFunctionNode':
        if (
          typeof node.func !== 'string' ||
          !FUNCTION_NAME.test(node.func) ||
          this.#kind(node.func.toLowerCase())
        ) {
          throw new TenantScopeViolation(
            '(query)',
            `function name ${JSON.stringify(node.func)} is not a plain name`,
          )
        }
        break
      case 'OperatorNode':
        if (!(OPERATORS as readonly string[]).includes(node.operator)) {
          throw new TenantScopeViolation(
            '(query)',
            `operator ${JSON.stringify(node.operator)} is not one of kysely's`,
          )
        }
        break
      case 'DataTypeNode':
        if (!isColumnDataType(node.dataType)) {
          throw new TenantScopeViolation(
            '(query)',
            `data type ${JSON.stringify(node.dataType)} is not one of kysely's`,
          )
        }
        break
      case 'ExplainNode':
        if (node.format !== undefined && !EXPLAIN_FORMAT.test(String(node.format))) {
          throw new TenantScopeViolation(
            '(query)',
            `explain format ${JSON.stringify(node.format)} is not a word`,
          )
        }
        break
      case 'JSONPathLegNode':
        if (typeof node.value === 'string' && node.value.includes('\\')) {
          throw new TenantScopeViolation('(query)', 'a backslash in a JSON path')
        }
        break
      default:
        break
    }
    for (const [, child] of childEntries(node)) this.#rejectStray(child)
  }

  #checkStrayTable(node: Node): void {
    if (this.#placed.has(node) || this.#cteNames.has(node)) return
    const table = tableName(node)
    if (this.#kind(table) !== undefined) {
      throw new TenantScopeViolation(table, 'referenced outside a FROM, JOIN or statement target (raw SQL?)')
    }
    if (this.#bound) {
      throw new TenantScopeViolation(
        table,
        'a table outside a FROM, JOIN or statement target in a tenant-bound query',
      )
    }
  }

  /** Judges raw text as the compiler will send it. */
  #checkRawText(text: string, what: string): void {
    const scan = scanSql(text)
    if (scan.problem !== undefined) {
      throw new TenantScopeViolation(
        '(raw)',
        `${what} holds ${scan.problem}, which could detach a tenant predicate`,
      )
    }
    for (const word of scan.words) {
      if (this.#kind(word) !== undefined) {
        throw new TenantScopeViolation(word, `named in ${what}, which the tenant guard cannot check`)
      }
      if (this.#bound && STATEMENT_WORDS.has(word)) {
        throw new TenantScopeViolation(
          '(raw)',
          `${what} holds '${word}' in a tenant-bound query; use the query builder for tables and subqueries`,
        )
      }
    }
  }
}

/** The rules in the form the checks use: lower-cased names and case-insensitive patterns. */
interface CompiledRules {
  /** Shared table → its tenant column. */
  readonly shared: ReadonlyMap<string, string>
  /** Per-tenant table patterns; group 1 is the tenant id. */
  readonly templates: readonly RegExp[]
}

function compileRules(rules: readonly TenantTableRule[]): CompiledRules {
  const shared = rules.filter((r) => r.table !== undefined)
  const templates = rules.flatMap((r) => (r.pattern === undefined ? [] : [new RegExp(r.pattern.source, 'i')]))
  return {
    shared: new Map(shared.map((r) => [r.table!.toLowerCase(), r.tenantColumn!.toLowerCase()])),
    templates,
  }
}

/**
 * The text a raw node compiles to, nested raw nodes inlined as the compiler inlines them (no
 * separator: an empty `sql.raw('')` joins the words around it). Identifiers, tables and
 * references are written with their names; bound values as `0`; other nodes (subqueries,
 * expressions: checked on their own) as `(0)`.
 */
function renderRaw(node: Node): string {
  const fragments = node.sqlFragments as readonly string[]
  const parameters = node.parameters as readonly Node[]
  let text = ''
  for (let i = 0; i < fragments.length; i++) {
    text += fragments[i]
    if (i < parameters.length) text += renderParameter(parameters[i]!)
  }
  return text
}

function renderParameter(node: Node): string {
  switch (node.kind) {
    case 'RawNode':
      return renderRaw(node)
    case 'IdentifierNode':
      return quoteIdentifier(String(node.name))
    case 'TableNode': {
      const schema =
        node.table.schema === undefined ? '' : `${quoteIdentifier(String(node.table.schema.name))}.`
      return schema + quoteIdentifier(tableName(node))
    }
    case 'ColumnNode':
      return quoteIdentifier(String(node.column.name))
    case 'ReferenceNode': {
      const table = node.table === undefined ? '' : `${renderParameter(node.table)}.`
      return table + (node.column.kind === 'ColumnNode' ? renderParameter(node.column) : '*')
    }
    case 'ValueNode':
      return node.immediate === true ? quoteLiteral(String(node.value)) : '0'
    default:
      return '(0)'
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

/**
 * Reads SQL text: the words in it (unquoted runs, and the contents of quoted strings and
 * identifiers, whole and split into runs), lower-cased; or the first thing in it the guard
 * refuses. Stricter than either engine on purpose: where SQLite and MySQL would read the
 * text differently (backslashes in strings), it is refused.
 */
function scanSql(text: string): { words: string[]; problem?: string } {
  const words: string[] = []
  let depth = 0
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === "'" || c === '"' || c === '`') {
      let end = i + 1
      for (;;) {
        end = text.indexOf(c, end)
        if (end < 0) return { words, problem: 'an unterminated quote' }
        if (text[end + 1] !== c) break
        end += 2 // a doubled quote stands for itself
      }
      const body = text.slice(i + 1, end)
      if (body.includes('\\')) return { words, problem: 'a backslash in a quoted string' }
      const content = body.replaceAll(c + c, c).toLowerCase()
      words.push(content, ...(content.match(/[\p{L}\p{N}_]+/gu) ?? []))
      i = end + 1
      continue
    }
    if (WORD_CHAR.test(c)) {
      let end = i + 1
      while (end < text.length && WORD_CHAR.test(text[end]!)) end++
      const word = text.slice(i, end).toLowerCase()
      if (depth === 0 && (word === 'or' || word === 'xor')) {
        return { words, problem: `'${word}' outside parentheses` }
      }
      words.push(word)
      i = end
      continue
    }
    if (text.startsWith('--', i) || text.startsWith('/*', i)) return { words, problem: 'a comment' }
    if (c === '(') depth++
    else if (c === ')' && --depth < 0) return { words, problem: 'unbalanced parentheses' }
    else if (!RAW_PUNCTUATION.has(c) && !RAW_WHITESPACE.has(c) && c !== '(' && c !== ')') {
      return { words, problem: `the character ${JSON.stringify(c)}` }
    }
    i++
  }
  return depth === 0 ? { words } : { words, problem: 'unbalanced parentheses' }
}

function tableName(node: Node): string {
  return String(node.table.identifier.name).toLowerCase()
}

/**
 * The table behind a FROM/JOIN/target item, or undefined for subqueries and raw SQL. Its
 * qualifier is kept exactly as written, schema included: MySQL tells aliases `x` and `X`
 * apart, and `d1.t` from `d2.t`, so a predicate on one must not count for the other.
 */
function tableOf(node: Node | undefined, on: OperationNode | undefined): TableRef | undefined {
  if (node?.kind === 'TableNode') {
    return { node, table: tableName(node), qualifier: writtenName(node), on }
  }
  if (node?.kind === 'AliasNode' && node.node.kind === 'TableNode') {
    const qualifier = node.alias.kind === 'IdentifierNode' ? String(node.alias.name) : writtenName(node.node)
    return { node: node.node, table: tableName(node.node), qualifier, on }
  }
  return undefined
}

/** A table node's name as written, with its schema. */
function writtenName(node: Node): string {
  const name = String(node.table.identifier.name)
  return node.table.schema === undefined ? name : `${String(node.table.schema.name)}.${name}`
}

function listItems(node: Node | undefined): Node[] {
  if (node === undefined) return []
  return node.kind === 'ListNode' ? [...node.items] : [node]
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
    return writtenName(node.table) === ref.qualifier
  }
  return unqualifiedAllowed
}

/**
 * Refuses an operation tree the compiler could read differently from the guard: every node
 * and list must be plain data — no proxy, no getter or setter, no property hidden from
 * enumeration, no prototype but Object's or Array's — so that what is checked is what is
 * compiled. Kysely's own nodes are frozen plain objects; only hand-built ones can fail this.
 */
function assertPlainTree(value: unknown): void {
  if (value === null || typeof value !== 'object') return
  if (Array.isArray(value)) {
    if (types.isProxy(value) || Object.getPrototypeOf(value) !== Array.prototype) refuseNode('a list')
    // The compiler reads a list by index only (a template's strings also carry `raw`).
    for (let i = 0; i < value.length; i++) {
      const d = Object.getOwnPropertyDescriptor(value, i)
      if (d === undefined || d.get !== undefined || d.set !== undefined) refuseNode(`item ${i}`)
      assertPlainTree(d.value)
    }
    return
  }
  if (typeof (value as { kind?: unknown }).kind !== 'string') return
  if (types.isProxy(value) || Object.getPrototypeOf(value) !== Object.prototype) refuseNode('a node')
  for (const key of Object.getOwnPropertyNames(value)) {
    const d = Object.getOwnPropertyDescriptor(value, key)!
    if (d.get !== undefined || d.set !== undefined || !d.enumerable) refuseNode(`'${key}'`)
    assertPlainTree(d.value)
  }
}

function refuseNode(what: string): never {
  throw new TenantScopeViolation(
    '(query)',
    `an operation node with ${what} that is not plain data (a proxy, an accessor, a hidden property) cannot be checked`,
  )
}

/** Child nodes of an operation node with the property holding them, for the recursive walks. */
function childEntries(node: Node): [string, Node][] {
  const out: [string, Node][] = []
  for (const [key, value] of Object.entries(node)) {
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) out.push([key, item])
    } else if (isNode(value)) {
      out.push([key, value])
    }
  }
  return out
}

function isNode(value: unknown): value is Node {
  return value !== null && typeof value === 'object' && typeof (value as { kind?: unknown }).kind === 'string'
}
