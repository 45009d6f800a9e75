/**
 * The tenant guard against an attacker, on both stacks: two tenants' rows in every tenant
 * table (the data map's, a per-tenant template's and every cw_ table with a tenant column),
 * and queries from tenant A's scope that try to reach tenant B through raw fragments,
 * `sql.id` / `sql.table` / `sql.ref`, `modifyEnd` / `modifyFront`, subqueries, joins,
 * unions and CTEs.
 *
 * The oracle is differential: a second database holds tenant A's rows only, identical
 * (same ids). A query the guard accepts must return the same rows on both, and a write
 * must leave B's rows as seeded and A's rows as on the A-only database. So an accepted
 * attack that reads or changes anything of B's fails, whatever shape it has.
 *
 * `CALLWARDEN_GUARD_SEED` and `CALLWARDEN_GUARD_RUNS` reproduce or widen a run; the seed is
 * printed.
 */
import fc from 'fast-check'
import { sql, type Expression, type Kysely, type SelectQueryBuilder } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataMap } from '../../src/store/data-map/data-map.js'
import type { DatasetDeclarationInput } from '../../src/store/data-map/dataset.js'
import type { Database } from '../../src/store/database.js'
import { insertIfAbsent } from '../../src/store/dialect-helpers.js'
import { CONSENT_CHANNELS_0004 } from '../../src/store/migrations/core-migrations.js'
import { migrate } from '../../src/store/migrations/migrate.js'
import { OUTBOUND_ACCESS_STATUSES, REFERENCE_DATASETS } from '../../src/store/reference-schema.js'
import { TenantGuardPlugin } from '../../src/store/tenant-guard-plugin.js'
import { TenantScope } from '../../src/store/tenant-scope.js'
import { CORE_TENANT_TABLES } from '../../src/store/tenant-tables.js'
import { STACKS } from './stacks.js'

const A = 'acme'
const B = 'globex'
const ROWS_PER_TENANT = 3
const SEED = Number(process.env.CALLWARDEN_GUARD_SEED ?? 110_011)
const ATTACK_RUNS = Number(process.env.CALLWARDEN_GUARD_RUNS ?? 10_000)
const LEGIT_RUNS = Math.max(200, Math.floor(ATTACK_RUNS / 5))

const PER_TENANT_CDR: DatasetDeclarationInput = {
  name: 'legacy_cdr',
  table: 'cdr_{tenant}',
  primaryKey: 'id',
  timeColumn: 'ended_at',
  category: 'call_analytics',
}
const dataMap = DataMap.from([...REFERENCE_DATASETS, PER_TENANT_CDR])

/** A tenant table as the generators see it; `cdr` stands for the per-tenant template. */
interface Target {
  readonly name: string
  /** The dataset, when the table is reachable through `TenantScope.selectFrom`. */
  readonly dataset: string | undefined
  /** A seeded column that is neither the tenant column nor constrained, for selects and updates. */
  column: string
}
const TARGETS: Target[] = [
  ...REFERENCE_DATASETS.map((d) => ({ name: d.table, dataset: d.name, column: '' })),
  { name: 'cdr', dataset: 'legacy_cdr', column: 'customer' },
  ...CORE_TENANT_TABLES.map((name) => ({ name, dataset: undefined, column: '' })),
]

/** The table of `target` holding `tenant`'s rows. */
function tableFor(target: Target, tenant: string): string {
  return target.name === 'cdr' ? `cdr_${tenant}` : target.name
}

/** Values for columns with a CHECK constraint. */
const CHECKED: Record<string, string> = {
  outcome: 'success',
  kind: 'exact',
  access_status: OUTBOUND_ACCESS_STATUSES[0],
  purpose: 'service',
  channel: CONSENT_CHANNELS_0004[0],
  direction: 'outbound',
}
const blacklistDirection = 'both'

async function seed(db: Kysely<any>, tenants: readonly string[]): Promise<void> {
  const tables = await db.introspection.getTables()
  for (const [t, tenant] of tenants.entries()) {
    for (const target of TARGETS) {
      const name = tableFor(target, tenant)
      const meta = tables.find((x) => x.name === name)!
      for (let i = 0; i < ROWS_PER_TENANT; i++) {
        const row: Record<string, unknown> = {}
        for (const c of meta.columns) {
          if (c.name === 'tenant_id') row[c.name] = tenant
          else if (c.isAutoIncrementing || ((c.isNullable || c.hasDefaultValue) && c.name !== 'id')) continue
          else if (name === 'cw_blacklist' && c.name === 'direction') row[c.name] = blacklistDirection
          else if (c.name in CHECKED) row[c.name] = CHECKED[c.name]
          else if (/int/i.test(c.dataType)) row[c.name] = t * 1000 + i
          else row[c.name] = `${tenant}-${i}-${c.name}`.slice(0, 16)
        }
        // A table keyed by the tenant alone (the audit heads) holds one row per tenant.
        if (!(await insertIfAbsent(db, name, row))) break
      }
    }
  }
}

/** Picks each target's free text column from the live schema. */
async function pickColumns(db: Kysely<any>): Promise<void> {
  const tables = await db.introspection.getTables()
  for (const target of TARGETS) {
    if (target.name === 'cdr') continue
    const meta = tables.find((x) => x.name === target.name)!
    const column = meta.columns.find(
      (c) =>
        !c.isNullable &&
        !c.hasDefaultValue &&
        c.name !== 'tenant_id' &&
        !(c.name in CHECKED) &&
        !/int/i.test(c.dataType),
    )
    target.column = column?.name ?? 'tenant_id'
  }
}

/** One side of the differential run: a database and the ways a query reaches it. */
interface Side {
  readonly raw: Kysely<any>
  /** Guarded as a tenant scope's queries are (A's), for roots that are not datasets. */
  readonly bound: Kysely<any>
  readonly scope: TenantScope
}

function sideOf(raw: Kysely<any>): Side {
  return {
    raw,
    bound: raw.withPlugin(new TenantGuardPlugin({ rules: dataMap.tenantTableRules() }).withTenant(A)),
    scope: new TenantScope(raw, dataMap, A),
  }
}

type Query = SelectQueryBuilder<any, any, any>
type Predicate = 'none' | 'own' | 'other' | 'either' | 'raw-own' | 'raw-other'

/** `target`'s table as a subquery source with the given tenant predicate, built on `db`. */
function source(db: Kysely<any>, target: Target, predicate: Predicate, alias?: string): Query {
  const tenant = predicate === 'other' || predicate === 'raw-other' ? B : A
  const table = tableFor(target, target.name === 'cdr' && predicate === 'none' ? B : tenant)
  const from = alias === undefined ? table : `${table} as ${alias}`
  const col = (c: string) => (alias === undefined ? c : `${alias}.${c}`)
  const q = db.selectFrom(from)
  if (target.name === 'cdr') return q
  switch (predicate) {
    case 'none':
      return q
    case 'own':
    case 'other':
      return q.where(col('tenant_id'), '=', tenant)
    case 'either':
      return q.where((eb) => eb.or([eb(col('tenant_id'), '=', A), eb(col('tenant_id'), '=', B)]))
    case 'raw-own':
    case 'raw-other':
      return q.where(sql<boolean>`${sql.ref(col('tenant_id'))} = ${tenant}`)
  }
}

/** Ways to name a table in raw SQL. */
const NAMINGS = [
  (t: string) => sql.id(t),
  (t: string) => sql.table(t),
  (t: string) => sql.raw(t),
  (t: string) => sql.raw(t.toUpperCase()),
  (t: string) => sql.raw(`"${t}"`),
  (t: string) => sql.raw(`\`${t}\``),
  (t: string) => sql`${sql.raw(t.slice(0, 4))}${sql.raw('')}${sql.raw(t.slice(4))}`,
  (t: string) => sql`${sql.raw(t.slice(0, 3))}${sql.raw(t.slice(3))}`,
  (t: string, schema: string) => sql.raw(`${schema}.${t}`),
  (t: string, schema: string) => sql.id(schema, t),
  (t: string) => sql.lit(t),
] as const

/** Raw text an attacker puts in WHERE or a modifier. */
const RAW_TEXTS = [
  '1 = 1 or 1 = 1',
  "tenant_id = 'globex' or 1 = 1",
  '1 = 1) or (1 = 1',
  '1 = 1 -- ',
  '1 = 1 /* */',
  'or 1=1',
  'limit 100',
  '1 = 1',
  '(1 = 1 or 1 = 0)',
] as const

/** An attack step applied to a select root; the root's own table is `r`. */
const attackStep = fc.record({
  form: fc.constantFrom(
    'raw-select',
    'raw-where',
    'subquery',
    'join',
    'left-join',
    'union',
    'modify-end',
    'modify-front',
    'ref',
    'fn',
    'in-subquery',
    'alias-case',
    'correlated-case',
    'schema-twin',
  ),
  target: fc.constantFrom(...TARGETS),
  predicate: fc.constantFrom<Predicate>('none', 'own', 'other', 'either', 'raw-own', 'raw-other'),
  naming: fc.nat({ max: NAMINGS.length - 1 }),
  text: fc.constantFrom(...RAW_TEXTS),
})
type AttackStep = typeof attackStep extends fc.Arbitrary<infer T> ? T : never

const attack = fc.record({
  root: fc.constantFrom('scope', 'bound', 'cte', 'cte-shadow', 'alias-shadow', 'update', 'delete', 'insert'),
  rootTarget: fc.constantFrom(...TARGETS),
  steps: fc.array(attackStep, { minLength: 1, maxLength: 3 }),
})
type Attack = typeof attack extends fc.Arbitrary<infer T> ? T : never

function applyStep(q: Query, step: AttackStep, side: Side, schema: string): Query {
  const t = tableFor(step.target, step.predicate === 'own' || step.predicate === 'raw-own' ? A : B)
  const name = () => NAMINGS[step.naming]!(t, schema)
  switch (step.form) {
    case 'raw-select':
      return q.select(sql<number>`(select count(*) from ${name()})`.as('x'))
    case 'raw-where':
      return q.where(sql.raw(step.text) as Expression<any>)
    case 'subquery':
      return q.select(() =>
        source(side.raw, step.target, step.predicate)
          .select((eb) => eb.fn.countAll().as('c'))
          .as('x'),
      )
    case 'in-subquery':
      return q.where(
        (eb) => eb.lit(1),
        'in',
        source(side.raw, step.target, step.predicate).select(sql<number>`1`.as('one')),
      )
    case 'join':
      return q.innerJoin(source(side.raw, step.target, step.predicate).selectAll().as('j'), (j) => j.onTrue())
    case 'left-join':
      return q.leftJoin(`${t} as j`, (j) =>
        step.predicate === 'none' || step.target.name === 'cdr'
          ? j.onTrue()
          : j.on('j.tenant_id', '=', step.predicate === 'own' ? A : B),
      )
    case 'union':
      return q.union(source(side.raw, step.target, step.predicate).select(sql<number>`1`.as('one')))
    case 'modify-end':
      return q.modifyEnd(sql.raw(step.text.includes('or') ? step.text : `union select 1 from ${t}`))
    case 'modify-front':
      return q.modifyFront(sql`distinct`)
    case 'ref':
      return q.select(sql.ref(`${t}.tenant_id`).as('x'))
    case 'fn':
      return q.select((eb) => eb.fn(`(select count(*) from ${t})+`, [eb.lit(0)]).as('x'))
    // MySQL tells aliases `r` and `R` apart; the predicate on the root's `r` must not scope `R`.
    case 'alias-case':
      return q.innerJoin(`${t} as R`, (j: any) => j.on('r.tenant_id', '=', A))
    case 'correlated-case':
      return q.select((eb: any) =>
        eb
          .selectFrom(`${t} as R`)
          .where('r.tenant_id', '=', A)
          .select(sql<number>`count(*)`.as('c'))
          .as('x'),
      )
    // The same table in another database must not count as the one predicate's table.
    case 'schema-twin':
      return q.select((eb: any) =>
        eb
          .selectFrom([`${schema}.${t}`, t])
          .where(`${t}.tenant_id`, '=', A)
          .select(sql<number>`count(*)`.as('c'))
          .as('x'),
      )
  }
}

/** The attack as a query on one side; undefined columns and shapes are the attacker's choice. */
function buildAttack(a: Attack, side: Side, schema: string): { execute(): Promise<unknown> } {
  const root = a.rootTarget
  const own = tableFor(root, A)
  let q: Query
  switch (a.root) {
    case 'scope':
      q = root.dataset === undefined ? source(side.bound, root, 'own') : side.scope.selectFrom(root.dataset)
      break
    case 'bound':
      q = source(side.bound, root, 'own', 'r')
      break
    case 'cte': {
      const [first] = a.steps
      q = side.bound
        .with('x', () => source(side.raw, first!.target, first!.predicate).selectAll())
        .selectFrom('x')
      break
    }
    case 'cte-shadow': {
      const victim = tableFor(a.steps[0]!.target, B)
      q = side.bound.with(victim, () => source(side.raw, root, 'own').selectAll()).selectFrom(victim)
      if (a.steps[0]!.target.name !== 'cdr') q = q.where('tenant_id', '=', A)
      break
    }
    case 'alias-shadow':
      q = side.bound.selectFrom(`${own} as ${tableFor(a.steps[0]!.target, B)}`)
      break
    case 'update':
    case 'delete':
    case 'insert':
      return buildWrite(a, side, schema)
  }
  q = q.select(sql<number>`1`.as('one'))
  for (const step of a.steps) q = applyStep(q, step, side, schema)
  return q
}

function buildWrite(a: Attack, side: Side, schema: string): { execute(): Promise<unknown> } {
  const root = a.rootTarget
  const table = tableFor(root, A)
  const step = a.steps[0]!
  if (a.root === 'insert') return buildInsert(a, side)
  let q: any =
    a.root === 'update'
      ? root.dataset === undefined
        ? side.bound.updateTable(table).where('tenant_id', '=', A)
        : side.scope.updateTable(root.dataset)
      : root.dataset === undefined
        ? side.bound.deleteFrom(table).where('tenant_id', '=', A)
        : side.scope.deleteFrom(root.dataset)
  if (a.root === 'update') q = q.set({ [root.column]: 'changed' })
  const t = tableFor(step.target, step.predicate === 'own' ? A : B)
  switch (step.form) {
    case 'modify-end':
    case 'modify-front':
      return q.modifyEnd(sql.raw(step.text))
    case 'raw-where':
    case 'raw-select':
      return q.where(sql.raw(step.text))
    case 'ref':
    case 'fn':
      return q.where(sql`exists (select 1 from ${NAMINGS[step.naming]!(t, schema)})`)
    default:
      return q.where(
        (eb: any) => eb.lit(1),
        'in',
        source(side.raw, step.target, step.predicate).select(sql<number>`1`.as('one')),
      )
  }
}

/**
 * Inserts that try to write B's rows or copy rows across tenants: `insert … select` from a
 * tenant table, a row naming B, a value taken from a subquery on a tenant table.
 */
function buildInsert(a: Attack, side: Side): { execute(): Promise<unknown> } {
  const root = a.rootTarget
  const step = a.steps[0]!
  const sub = () => source(side.raw, step.target, step.predicate)
  const row = (tenant: string, value: unknown) =>
    root.name === 'cdr'
      ? { id: 'new', ended_at: 0, customer: value }
      : { tenant_id: tenant, [root.column]: value }
  const target = side.bound.insertInto(tableFor(root, A))
  switch (step.form) {
    case 'subquery':
    case 'join':
    case 'left-join':
    case 'union':
      return target
        .columns(root.name === 'cdr' ? ['customer'] : ['tenant_id', root.column])
        .expression(
          root.name === 'cdr'
            ? sub().select(sql<string>`'x'`.as('c'))
            : sub().select([sql<string>`${A}`.as('t'), sql<string>`'x'`.as('c')]),
        )
    case 'in-subquery':
    case 'fn':
      return target.values(
        row(
          A,
          sub().select((eb) => eb.fn.countAll().as('c')),
        ),
      )
    default:
      return target.values(row(step.predicate === 'own' ? A : B, 'x'))
  }
}

/** A legitimate query: own-tenant predicates everywhere. */
const legitStep = fc.record({
  form: fc.constantFrom('subquery', 'in-subquery', 'join', 'union', 'count', 'coalesce', 'paren-or'),
  target: fc.constantFrom(...TARGETS),
})
const legit = fc.record({
  root: fc.constantFrom('scope', 'bound', 'cte'),
  rootTarget: fc.constantFrom(...TARGETS),
  steps: fc.array(legitStep, { maxLength: 3 }),
})
type Legit = typeof legit extends fc.Arbitrary<infer T> ? T : never

/**
 * A legitimate query. Guarded, it runs through A's scope with A's predicates; as the
 * reference, the same shape runs unguarded on the A-only database without any predicate.
 */
function buildLegit(l: Legit, side: Side, reference: boolean): Query {
  const from = (target: Target, alias?: string) =>
    reference
      ? side.raw.selectFrom(alias === undefined ? tableFor(target, A) : `${tableFor(target, A)} as ${alias}`)
      : source(side.raw, target, 'own', alias)
  const root = l.rootTarget
  let q: Query
  let qualifier = 'r'
  if (l.root === 'scope' && root.dataset !== undefined && l.steps.every((s) => s.form !== 'join')) {
    q = reference ? side.raw.selectFrom(tableFor(root, A)) : side.scope.selectFrom(root.dataset)
    qualifier = tableFor(root, A)
  } else if (l.root === 'cte') {
    q = (reference ? side.raw : side.bound).with('mine', () => from(root).selectAll()).selectFrom('mine as r')
  } else {
    q = reference ? from(root, 'r') : source(side.bound, root, 'own', 'r')
  }
  q = q.select(`${qualifier}.${root.column}`)
  let unions = 0
  for (const step of l.steps) {
    switch (step.form) {
      case 'subquery':
        q = q.select(() =>
          from(step.target)
            .select((eb) => eb.fn.countAll().as('c'))
            .as(`s${unions++}`),
        )
        break
      case 'in-subquery':
        q = q.where(`${qualifier}.${root.column}`, 'not in', from(step.target).select(step.target.column))
        break
      case 'join':
        q = q.innerJoin(from(step.target).select(step.target.column).as(`j${unions}`), (j) => j.onTrue())
        unions++
        break
      case 'union':
        q = q.union(from(root).select(root.column))
        break
      case 'count':
        q = q.select(sql<number>`(1 + 1)`.as(`n${unions++}`))
        break
      case 'coalesce':
        q = q.select(sql<number>`coalesce(${0}, 0)`.as(`z${unions++}`))
        break
      case 'paren-or':
        q = q.where(sql<boolean>`(1 = 1 or 1 = 0)`)
        break
    }
  }
  return q
}

function sorted(rows: readonly unknown[]): string[] {
  return rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).sort()
}

function isRefusal(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_TENANT_SCOPE'
}

async function outcome(run: () => Promise<unknown>): Promise<{ rows: unknown } | { error: unknown }> {
  try {
    return { rows: await run() }
  } catch (error) {
    return { error }
  }
}

class Rollback extends Error {
  constructor(readonly snapshot: unknown) {
    super('rollback')
  }
}

/** Runs `fn` in a transaction that is always rolled back; returns what it snapshot. */
async function rolledBack(db: Kysely<any>, fn: (trx: Kysely<any>) => Promise<unknown>): Promise<unknown> {
  try {
    await db.transaction().execute(async (trx) => {
      throw new Rollback(await fn(trx))
    })
  } catch (error) {
    if (error instanceof Rollback) return error.snapshot
    throw error
  }
  return undefined
}

for (const stack of STACKS) {
  describe(`tenant guard under attack on ${stack.name}`, () => {
    let full: Database & { dispose(): Promise<void> }
    let shadow: Database & { dispose(): Promise<void> }
    let schema: string
    const snapshotB = new Map<string, string[]>()

    beforeAll(async () => {
      full = await stack.openDatabase()
      shadow = await stack.openDatabase()
      for (const d of [full, shadow]) {
        await migrate(d)
        for (const tenant of [A, B]) {
          await d.db.schema
            .createTable(`cdr_${tenant}`)
            .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
            .addColumn('ended_at', 'bigint', (c) => c.notNull())
            .addColumn('customer', 'varchar(32)', (c) => c.notNull())
            .execute()
        }
      }
      await pickColumns(full.db)
      await seed(full.db, [A, B])
      await seed(shadow.db, [A])
      schema =
        full.dialect === 'sqlite'
          ? 'main'
          : String(((await sql<{ d: string }>`select database() as d`.execute(full.db)).rows[0] as any).d)
      for (const target of TARGETS) {
        const table = tableFor(target, B)
        let q = full.db.selectFrom(table).selectAll()
        if (target.name !== 'cdr') q = q.where('tenant_id', '=', B)
        snapshotB.set(table, sorted(await q.execute()))
      }
      console.log(`tenant guard property seed on ${stack.name}: ${SEED} (CALLWARDEN_GUARD_SEED)`)
    })

    afterAll(async () => {
      await full?.dispose()
      await shadow?.dispose()
    })

    it('seeds two tenants in every tenant table', async () => {
      for (const target of TARGETS) {
        const rows = snapshotB.get(tableFor(target, B))!.length
        expect(rows, tableFor(target, B)).toBe(target.name === 'cw_audit_heads' ? 1 : ROWS_PER_TENANT)
      }
    })

    it('refuses the reported bypasses with ERR_TENANT_SCOPE and leaves B’s rows alone', async () => {
      const side = sideOf(full.db)
      const refused = { code: 'ERR_TENANT_SCOPE' }
      const scoped = () => side.scope.selectFrom('service_records').select('call_id')
      await expect(
        (async () =>
          scoped()
            .select(sql<number>`(select count(*) from ${sql.id('cc_service_records')})`.as('n'))
            .execute())(),
      ).rejects.toMatchObject(refused)
      await expect(
        (async () =>
          scoped()
            .select(sql<number>`(select count(*) from cc_service${sql.raw('')}_records)`.as('n'))
            .execute())(),
      ).rejects.toMatchObject(refused)
      for (const table of ['cw_consents', 'cw_blacklist', 'cw_audit_events'] as const) {
        await expect(
          (async () =>
            scoped()
              .select(() =>
                full.db
                  .selectFrom(table)
                  .select((eb) => eb.fn.countAll().as('c'))
                  .where('tenant_id', '=', B)
                  .as('n'),
              )
              .execute())(),
        ).rejects.toMatchObject({ ...refused, table })
      }
      await expect(
        (async () =>
          side.scope
            .updateTable('service_records')
            .set({ remark: 'changed' })
            .modifyEnd(sql`or 1=1`)
            .execute())(),
      ).rejects.toMatchObject(refused)
      const rows = await full.db
        .selectFrom('cc_service_records')
        .selectAll()
        .where('tenant_id', '=', B)
        .execute()
      expect(sorted(rows)).toEqual(snapshotB.get('cc_service_records'))
    })

    it(`property: ${ATTACK_RUNS} generated attacks from A's scope leak nothing of B's`, async () => {
      const onFull = sideOf(full.db)
      const tally = { refused: 0, accepted: 0, failedOnBoth: 0 }
      await fc.assert(
        fc.asyncProperty(attack, async (a) => {
          let compiled: { execute(): Promise<unknown> } & { compile?: () => unknown }
          try {
            compiled = buildAttack(a, onFull, schema) as typeof compiled
            compiled.compile?.()
          } catch (error) {
            if (!isRefusal(error)) throw error
            tally.refused++
            return
          }
          tally.accepted++
          const write = a.root === 'update' || a.root === 'delete' || a.root === 'insert'
          if (!write) {
            const got = await outcome(() => compiled.execute())
            const want = await outcome(() => buildAttack(a, sideOf(shadow.db), schema).execute())
            if ('error' in got || 'error' in want) {
              expect('error' in got && 'error' in want, 'an error on one database only').toBe(true)
              tally.failedOnBoth++
              return
            }
            expect(sorted(got.rows as unknown[])).toEqual(sorted(want.rows as unknown[]))
            return
          }
          const table = tableFor(a.rootTarget, A)
          // A write changes its target table only; B's rows there must stay as seeded.
          const victims = [tableFor(a.rootTarget, B)]
          const after = async (trx: Kysely<any>, side: Side) => {
            const result = await outcome(() => buildWrite(a, side, schema).execute())
            let mine = trx.selectFrom(table).selectAll()
            if (a.rootTarget.name !== 'cdr') mine = mine.where('tenant_id', '=', A)
            const own = sorted(await mine.execute())
            const others: Record<string, string[]> = {}
            for (const victim of victims) {
              let q = trx.selectFrom(victim).selectAll()
              if (!victim.startsWith('cdr_')) q = q.where('tenant_id', '=', B)
              others[victim] = sorted(await q.execute())
            }
            return { failed: 'error' in result, own, others }
          }
          const got = (await rolledBack(full.db, (trx) => after(trx, sideOf(trx)))) as Awaited<
            ReturnType<typeof after>
          >
          const want = (await rolledBack(shadow.db, (trx) => after(trx, sideOf(trx)))) as Awaited<
            ReturnType<typeof after>
          >
          for (const victim of victims) expect(got.others[victim]).toEqual(snapshotB.get(victim))
          expect(got.failed).toBe(want.failed)
          expect(got.own).toEqual(want.own)
        }),
        { numRuns: ATTACK_RUNS, seed: SEED },
      )
      console.log(`tenant guard attacks on ${stack.name}:`, tally)
      expect(tally.refused).toBeGreaterThan(ATTACK_RUNS / 2)
      // Alone it takes seconds; the limit is for a machine shared with other suites.
    }, 180_000)

    it(`property: ${LEGIT_RUNS} generated legitimate queries return exactly A's rows`, async () => {
      const onFull = sideOf(full.db)
      const onShadow = sideOf(shadow.db)
      const tally = { matched: 0, failedOnBoth: 0 }
      await fc.assert(
        fc.asyncProperty(legit, async (l) => {
          const got = await outcome(() => buildLegit(l, onFull, false).execute())
          const want = await outcome(() => buildLegit(l, onShadow, true).execute())
          if ('error' in got && isRefusal(got.error)) throw got.error
          if ('error' in got || 'error' in want) {
            // A shape the database itself rejects (a union of unequal arity) must fail alike.
            expect('error' in got && 'error' in want).toBe(true)
            tally.failedOnBoth++
            return
          }
          expect(sorted(got.rows as unknown[])).toEqual(sorted(want.rows as unknown[]))
          tally.matched++
        }),
        { numRuns: LEGIT_RUNS, seed: SEED + 1 },
      )
      console.log(`tenant guard legitimate queries on ${stack.name}:`, tally)
      expect(tally.matched).toBeGreaterThan(LEGIT_RUNS / 2)
    })
  })
}
