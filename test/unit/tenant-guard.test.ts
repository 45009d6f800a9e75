/**
 * The tenant guard on its own, against an in-memory SQLite: which query shapes count as
 * scoped and which are rejected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql, type Kysely, type RawBuilder } from 'kysely'
import { DataMap } from '../../src/store/data-map/data-map.js'
import { openDatabase, type Database } from '../../src/store/database.js'
import { migrate } from '../../src/store/migrations/migrate.js'
import { REFERENCE_DATASETS } from '../../src/store/reference-schema.js'
import { TenantGuardPlugin } from '../../src/store/tenant-guard-plugin.js'
import { CORE_TENANT_TABLES } from '../../src/store/tenant-tables.js'

const dataMap = DataMap.from([
  ...REFERENCE_DATASETS,
  {
    name: 'legacy_cdr',
    table: 'cdr_{tenant}',
    primaryKey: 'id',
    timeColumn: 'at',
    category: 'call_analytics',
  },
])
let database: Database
let guarded: Kysely<any>
let bound: Kysely<any>

beforeAll(async () => {
  database = openDatabase('sqlite::memory:')
  await migrate(database)
  for (const t of ['acme', 'globex']) {
    await database.db.schema
      .createTable(`cdr_${t}`)
      .addColumn('id', 'integer')
      .addColumn('at', 'integer')
      .execute()
  }
  guarded = database.db.withPlugin(new TenantGuardPlugin({ rules: dataMap.tenantTableRules() }))
  bound = database.db.withPlugin(
    new TenantGuardPlugin({ rules: dataMap.tenantTableRules(), tenantId: 'acme' }),
  )
})

afterAll(async () => {
  await database.close()
})

const rejected = { code: 'ERR_TENANT_SCOPE' }

describe('TenantGuardPlugin', () => {
  it('accepts a top-level tenant predicate, alone or among other conjuncts', async () => {
    await guarded.selectFrom('cc_service_records').selectAll().where('tenant_id', '=', 'acme').execute()
    await guarded
      .selectFrom('cc_service_records')
      .selectAll()
      .where('started_at', '>', 0)
      .where((eb) => eb.and([eb('direction', '=', 'inbound'), eb('tenant_id', '=', 'acme')]))
      .execute()
  })

  it('rejects no predicate, a predicate under OR, and a non-equality predicate', async () => {
    await expect(guarded.selectFrom('cc_service_records').selectAll().execute()).rejects.toMatchObject(
      rejected,
    )
    await expect(
      guarded
        .selectFrom('cc_service_records')
        .selectAll()
        .where((eb) => eb.or([eb('tenant_id', '=', 'acme'), eb('started_at', '>', 0)]))
        .execute(),
    ).rejects.toMatchObject(rejected)
    await expect(
      guarded.selectFrom('cc_service_records').selectAll().where('tenant_id', '!=', 'acme').execute(),
    ).rejects.toMatchObject(rejected)
    await expect(
      guarded
        .selectFrom('cc_service_records')
        .selectAll()
        .where('tenant_id', 'in', ['acme', 'globex'])
        .execute(),
    ).rejects.toMatchObject(rejected)
  })

  it('requires each joined scoped table to be scoped by its alias', async () => {
    const join = () =>
      guarded
        .selectFrom('cc_service_records as s')
        .innerJoin('cc_recordings as r', 'r.call_id', 's.call_id')
        .selectAll()
        .where('s.tenant_id', '=', 'acme')
    await expect(join().execute()).rejects.toMatchObject({ ...rejected, table: 'cc_recordings' })
    await join().where('r.tenant_id', '=', 'acme').execute()
    await guarded
      .selectFrom('cc_service_records as s')
      .innerJoin('cc_recordings as r', (j) =>
        j.onRef('r.call_id', '=', 's.call_id').on('r.tenant_id', '=', 'acme'),
      )
      .selectAll()
      .where('s.tenant_id', '=', 'acme')
      .execute()
  })

  it('checks subqueries', async () => {
    // Kysely applies plugins when a subquery is embedded, so this may throw while building.
    const run = async () =>
      guarded
        .selectFrom('cw_tenants')
        .selectAll()
        .where('id', 'in', guarded.selectFrom('cc_service_records').select('tenant_id'))
        .execute()
    await expect(run()).rejects.toMatchObject(rejected)
  })

  it('guards updates, deletes and inserts', async () => {
    await expect(guarded.deleteFrom('cc_ivr_inputs').execute()).rejects.toMatchObject(rejected)
    await expect(guarded.updateTable('cc_agents').set({ name: 'x' }).execute()).rejects.toMatchObject(
      rejected,
    )
    await expect(
      guarded.updateTable('cc_agents').set({ tenant_id: 'globex' }).where('tenant_id', '=', 'acme').execute(),
    ).rejects.toMatchObject(rejected)
    await expect(
      guarded
        .insertInto('cc_operation_logs')
        .values({ operator_id: 'a', action: 'x', created_at: 1 })
        .execute(),
    ).rejects.toMatchObject(rejected)
    await guarded
      .insertInto('cc_operation_logs')
      .values({ tenant_id: 'acme', operator_id: 'a', action: 'x', created_at: 1 })
      .execute()
  })

  it('bound to a tenant, rejects other tenants’ predicates, rows and per-tenant tables', async () => {
    await bound.selectFrom('cc_agents').selectAll().where('tenant_id', '=', 'acme').execute()
    await expect(
      bound.selectFrom('cc_agents').selectAll().where('tenant_id', '=', 'globex').execute(),
    ).rejects.toMatchObject(rejected)
    await expect(
      bound
        .insertInto('cc_operation_logs')
        .values({ tenant_id: 'globex', operator_id: 'a', action: 'x', created_at: 1 })
        .execute(),
    ).rejects.toMatchObject(rejected)
    await bound.selectFrom('cdr_acme').selectAll().execute()
    await expect(bound.selectFrom('cdr_globex').selectAll().execute()).rejects.toMatchObject(rejected)
  })

  it('compares names case-insensitively, as the databases do', async () => {
    await expect(guarded.selectFrom('CC_AGENTS').selectAll().execute()).rejects.toMatchObject(rejected)
    await expect(bound.selectFrom('CDR_GLOBEX').selectAll().execute()).rejects.toMatchObject(rejected)
    await expect(
      bound.updateTable('cc_agents').set({ TENANT_ID: 'globex' }).where('tenant_id', '=', 'acme').execute(),
    ).rejects.toMatchObject(rejected)
    await bound.selectFrom('CC_AGENTS').selectAll().where('TENANT_ID', '=', 'acme').execute()
  })

  it('refuses upserts that could update another tenant’s row or move a row', async () => {
    const row = {
      id: 1,
      tenant_id: 'acme',
      call_id: 'c',
      created_at: 1,
      caller: 'x',
      variable: 'v',
      value: 'y',
    }
    await expect(
      bound
        .insertInto('cc_ivr_inputs')
        .values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet({ value: 'z' }))
        .execute(),
    ).rejects.toMatchObject(rejected)
    await expect(
      bound
        .insertInto('cc_ivr_inputs')
        .values(row)
        .onConflict((oc) => oc.columns(['id', 'tenant_id']).doUpdateSet({ tenant_id: 'globex' }))
        .execute(),
    ).rejects.toMatchObject(rejected)
    const mysqlStyle = async () =>
      bound.insertInto('cc_ivr_inputs').values(row).onDuplicateKeyUpdate({ value: 'z' }).execute()
    await expect(mysqlStyle()).rejects.toMatchObject(rejected)
    await expect(bound.replaceInto('cc_ivr_inputs').values(row).execute()).rejects.toMatchObject(rejected)
    await expect(bound.insertInto('cc_ivr_inputs').values(row).orReplace().execute()).rejects.toMatchObject(
      rejected,
    )
    // Doing nothing on conflict is harmless.
    await bound
      .insertInto('cc_ivr_inputs')
      .values(row)
      .onConflict((oc) => oc.doNothing())
      .execute()
  })

  it('checks every table of a multi-table update', async () => {
    const run = async () =>
      bound
        .updateTable(['cc_agents', 'cw_tenants'] as never)
        .set({ name: 'x' } as never)
        .execute()
    await expect(run()).rejects.toMatchObject(rejected)
  })

  it('does not accept an ON predicate for a RIGHT or FULL joined table', async () => {
    const base = () => bound.selectFrom('cc_recordings as r')
    const right = async () =>
      base()
        .rightJoin('cc_agents as a', (j) =>
          j.onRef('a.staff_id', '=', 'r.call_id').on('a.tenant_id', '=', 'acme'),
        )
        .selectAll()
        .where('r.tenant_id', '=', 'acme')
        .execute()
    const full = async () =>
      base()
        .fullJoin('cc_agents as a', (j) =>
          j.onRef('a.staff_id', '=', 'r.call_id').on('a.tenant_id', '=', 'acme'),
        )
        .selectAll()
        .where('r.tenant_id', '=', 'acme')
        .execute()
    await expect(right()).rejects.toMatchObject({ ...rejected, table: 'cc_agents' })
    await expect(full()).rejects.toMatchObject({ ...rejected, table: 'cc_agents' })
  })

  it('refuses tenant tables named in raw SQL or sql.table()', async () => {
    const union = async () =>
      bound
        .selectFrom('cc_agents')
        .select('name')
        .where('tenant_id', '=', 'acme')
        .modifyEnd(sql`union select name from cc_agents`)
        .execute()
    await expect(union()).rejects.toMatchObject(rejected)
    const table = async () => bound.selectFrom(sql.table('cc_agents').as('a')).selectAll().execute()
    await expect(table()).rejects.toMatchObject(rejected)
    await expect(sql`select * from CC_Agents`.execute(bound)).rejects.toMatchObject(rejected)
    await expect(sql`select * from cdr_globex`.execute(bound)).rejects.toMatchObject(rejected)
    // Unbound, raw SQL that names no tenant table is left alone; bound, it is refused.
    await sql`select count(*) as n from cw_tenants`.execute(guarded)
    await expect(sql`select count(*) as n from cw_tenants`.execute(bound)).rejects.toMatchObject(rejected)
  })

  it('leaves tables outside the data map alone', async () => {
    await guarded.selectFrom('cw_tenants').selectAll().execute()
  })
})

describe('TenantGuardPlugin fails closed', () => {
  // Kysely applies plugins when a builder is embedded, so a refusal may come while building.
  const refuses = (run: () => Promise<unknown>) => expect(run()).rejects.toMatchObject(rejected)
  const scoped = () => bound.selectFrom('cc_agents').select('name').where('tenant_id', '=', 'acme')

  it('knows callwarden’s own tenant tables, whatever rules it was given', async () => {
    const onlyDataMap = database.db.withPlugin(
      new TenantGuardPlugin({ rules: dataMap.tenantTableRules(), tenantId: 'acme' }),
    )
    for (const table of CORE_TENANT_TABLES) {
      const sub = (tenant?: string) => {
        const q = database.db.selectFrom(table).select('tenant_id')
        return tenant === undefined ? q : q.where('tenant_id', '=', tenant)
      }
      const outer = (tenant?: string) =>
        onlyDataMap
          .selectFrom('cc_agents')
          .select('name')
          .where('tenant_id', '=', 'acme')
          .where('staff_id', 'in', sub(tenant))
      // Unscoped too: a guard given only the data map still demands the predicate.
      await expect(guarded.selectFrom(table).selectAll().execute()).rejects.toMatchObject({
        ...rejected,
        table,
      })
      await guarded.selectFrom(table).selectAll().where('tenant_id', '=', 'globex').execute()
      await expect(outer().execute()).rejects.toMatchObject({ ...rejected, table })
      await expect(outer('globex').execute()).rejects.toMatchObject({ ...rejected, table })
      await outer('acme').execute()
    }
  })

  it('lists every cw_ table the migrations create with a tenant column', async () => {
    const tables = await database.db.introspection.getTables()
    const keyed = tables
      .filter((t) => t.name.startsWith('cw_') && t.columns.some((c) => c.name === 'tenant_id'))
      .map((t) => t.name)
      .sort()
    expect(keyed).toEqual([...CORE_TENANT_TABLES].sort())
  })

  it('refuses a tenant table named through sql.id, sql.table, sql.ref or sql.lit', async () => {
    const names = [
      sql.id('cc_service_records'),
      sql.id('main', 'cc_service_records'),
      sql.table('cc_service_records'),
      sql.ref('cc_service_records.caller'),
      sql.lit('cc_service_records'),
    ]
    for (const name of names) {
      for (const db of [guarded, bound]) {
        const q = db
          .selectFrom('cc_agents')
          .where('tenant_id', '=', 'acme')
          .select(sql<number>`(select count(*) from ${name})`.as('n'))
        await expect(q.execute()).rejects.toMatchObject(rejected)
      }
    }
  })

  it('judges raw text as it is sent: split, quoted, prefixed or recased names are refused', async () => {
    const texts = [
      sql`cc_service${sql.raw('')}_records`,
      sql`${sql.raw('cc_serv')}${sql.raw('ice_rec')}ords`,
      sql.raw('"cc_service_records"'),
      sql.raw('`cc_service_records`'),
      sql.raw('main.cc_service_records'),
      sql.raw('MAIN.CC_SERVICE_RECORDS'),
      sql.raw('cw_consents'),
      sql.raw('cdr_globex'),
    ]
    for (const text of texts) {
      await expect(
        guarded
          .selectFrom('cw_tenants')
          .select(sql<number>`(select count(*) from ${text})`.as('n'))
          .execute(),
      ).rejects.toMatchObject(rejected)
      await expect(guarded.selectFrom(text.as('x')).selectAll().execute()).rejects.toMatchObject(rejected)
    }
  })

  it('refuses raw text that could detach a tenant predicate', async () => {
    const texts = [
      sql`1 = 1 or 1 = 1`,
      sql`1 = 1 xor 1 = 0`,
      sql`1 = 1) or (1 = 1`,
      sql`1 = 1 -- `,
      sql`1 = 1 /* */`,
      sql`1 = ?`,
      sql`1 = ?1`,
      sql`1 = 1; delete from cw_tenants`,
      sql`'\\' = 1`,
      sql`'a`,
      sql`1 || 1`,
      sql`@x = 1`,
    ]
    for (const text of texts) {
      await expect(
        guarded
          .selectFrom('cc_agents')
          .selectAll()
          .where('tenant_id', '=', 'acme')
          .where(text as RawBuilder<boolean>)
          .execute(),
      ).rejects.toMatchObject(rejected)
    }
  })

  it('lets raw text without table names pass, and refuses statement words when bound', async () => {
    const rows = await scoped()
      .select([
        sql<number>`count(*)`.as('n'),
        sql<number>`coalesce(${0}, 0)`.as('z'),
        sql<number>`(1 = 1 or 1 = 0)`.as('b'),
      ])
      .groupBy('name')
      .execute()
    expect(rows).toEqual([])
    await guarded
      .updateTable('cc_agents')
      .set({ updated_at: sql`updated_at + 1` })
      .where('tenant_id', '=', 'acme')
      .execute()
    await expect(
      scoped()
        .select(sql<number>`(select count(*) from cw_tenants)`.as('n'))
        .execute(),
    ).rejects.toMatchObject(rejected)
  })

  it('refuses modifyEnd and modifyFront on queries that touch a tenant table', async () => {
    const attempts = [
      bound
        .updateTable('cc_agents')
        .set({ name: 'x' })
        .where('tenant_id', '=', 'acme')
        .modifyEnd(sql`or 1=1`),
      guarded
        .updateTable('cc_agents')
        .set({ name: 'x' })
        .where('tenant_id', '=', 'acme')
        .modifyEnd(sql`limit 1`),
      guarded
        .deleteFrom('cc_agents')
        .where('tenant_id', '=', 'acme')
        .modifyEnd(sql`limit 1`),
      guarded
        .selectFrom('cc_agents')
        .selectAll()
        .where('tenant_id', '=', 'acme')
        .modifyEnd(sql`limit 1`),
      guarded
        .selectFrom('cc_agents')
        .selectAll()
        .where('tenant_id', '=', 'acme')
        .modifyFront(sql`distinct`),
      guarded
        .insertInto('cc_operation_logs')
        .values({ tenant_id: 'acme', operator_id: 'a', action: 'x', created_at: 1 })
        .modifyEnd(sql`returning *`),
    ]
    for (const q of attempts) await expect(q.execute()).rejects.toMatchObject(rejected)
    // A query on tables outside the guard keeps them.
    await guarded
      .selectFrom('cw_tenants')
      .selectAll()
      .modifyEnd(sql`limit 1`)
      .execute()
  })

  it('checks CTEs, set operations and lateral joins; a CTE or alias may not shadow a tenant table', async () => {
    const mine = bound
      .with('mine', (db) => db.selectFrom('cc_agents').select('name').where('tenant_id', '=', 'acme'))
      .selectFrom('mine')
      .selectAll()
    await mine.execute()
    await refuses(async () =>
      bound
        .with('mine', (db) => db.selectFrom('cc_agents').select('name').where('tenant_id', '=', 'globex'))
        .selectFrom('mine')
        .selectAll()
        .execute(),
    )
    await refuses(async () =>
      guarded
        .with('cc_agents', (db) => db.selectFrom('cw_tenants').select('name'))
        .selectFrom('cc_agents')
        .selectAll()
        .where('tenant_id', '=', 'acme')
        .execute(),
    )
    // Not recursive: inside its own body the name means the real table, which a bound guard refuses.
    await refuses(async () =>
      bound
        .with('cw_tenants', (db) => db.selectFrom('cw_tenants').selectAll())
        .selectFrom('cw_tenants')
        .selectAll()
        .execute(),
    )
    await expect(guarded.selectFrom('cw_tenants as cc_agents').selectAll().execute()).rejects.toMatchObject(
      rejected,
    )
    await refuses(async () =>
      scoped()
        .union(bound.selectFrom('cc_agents').select('name').where('tenant_id', '=', 'globex'))
        .execute(),
    )
    await refuses(async () => scoped().union(database.db.selectFrom('cc_agents').select('name')).execute())
    await refuses(async () =>
      bound
        .selectFrom('cc_agents as a')
        .innerJoinLateral(
          (eb) => eb.selectFrom('cw_consents').select('number').as('c'),
          (join) => join.onTrue(),
        )
        .selectAll()
        .where('a.tenant_id', '=', 'acme')
        .execute(),
    )
  })

  it('bound to a tenant, reads only tenant tables and refuses raw FROM items and other statements', async () => {
    await expect(
      scoped().innerJoin('cw_tenants', 'cw_tenants.id', 'cc_agents.tenant_id').execute(),
    ).rejects.toMatchObject(rejected)
    await expect(
      bound
        .selectFrom(sql`(select 1)`.as('x'))
        .selectAll()
        .execute(),
    ).rejects.toMatchObject(rejected)
    await expect(sql`select 1`.execute(bound)).rejects.toMatchObject(rejected)
    await expect(
      scoped().where('name', 'in', database.db.selectFrom('cw_tenants').select('name')).execute(),
    ).rejects.toMatchObject(rejected)
  })

  it('checks strings the compiler writes verbatim, and refuses node kinds it does not know', async () => {
    await expect(
      scoped()
        .select((eb) => eb.fn('(select group_concat(caller) from cc_service_records) ,', []).as('x'))
        .execute(),
    ).rejects.toMatchObject(rejected)
    const unknown = { toOperationNode: () => ({ kind: 'FancyNode' }) }
    await expect(
      guarded
        .selectFrom('cw_tenants')
        .select(sql`${unknown as never}`.as('x'))
        .execute(),
    ).rejects.toMatchObject(rejected)
  })
})

describe('TenantGuardPlugin reads names and nodes as the database and the compiler do', () => {
  it('counts a predicate only for the alias or table spelled exactly as the predicate names it', () => {
    // MySQL tells aliases `x` and `X` apart: a predicate on one must not scope the other.
    expect(() =>
      bound
        .selectFrom('cw_consents as x')
        .innerJoin('cw_blacklist as X', (j) => j.on('x.tenant_id', '=', 'acme'))
        .where('x.tenant_id', '=', 'acme')
        .select('x.id')
        .compile(),
    ).toThrow(expect.objectContaining(rejected))
    expect(() =>
      bound
        .selectFrom('cc_service_records as x')
        .where('x.tenant_id', '=', 'acme')
        .select((eb) =>
          eb
            .selectFrom('cw_consents as X')
            .where('x.tenant_id', '=', 'acme')
            .select('X.source')
            .limit(1)
            .as('s'),
        )
        .compile(),
    ).toThrow(expect.objectContaining(rejected))
    // The same spelling throughout is scoped as before.
    bound
      .selectFrom('cw_consents as c')
      .innerJoin('cw_blacklist as b', (j) => j.onRef('b.id', '=', 'c.id').on('b.tenant_id', '=', 'acme'))
      .where('c.tenant_id', '=', 'acme')
      .select('c.id')
      .compile()
  })

  it('refuses tenant tables named with a schema (another database)', () => {
    for (const db of [guarded, bound]) {
      expect(() =>
        db
          .selectFrom(['main.cw_consents', 'other.cw_consents'])
          .where('other.cw_consents.tenant_id', '=', 'acme')
          .select('main.cw_consents.source')
          .compile(),
      ).toThrow(expect.objectContaining(rejected))
    }
  })

  it('refuses hand-built nodes the compiler would read differently: hidden children, getters, proxies', () => {
    const subquery = database.db
      .selectFrom('cw_blacklist')
      .select((eb) => eb.fn.countAll().as('c'))
      .toOperationNode()
    const hidden = { kind: 'ParensNode' }
    Object.defineProperty(hidden, 'node', { value: subquery, enumerable: false })
    let reads = 0
    const shifty = { kind: 'RawNode', parameters: [] as unknown[] }
    Object.defineProperty(shifty, 'sqlFragments', {
      enumerable: true,
      get: () => (++reads === 1 ? ['1'] : ['(select count(*) from cw_blacklist)']),
    })
    const proxied = new Proxy({ kind: 'RawNode', sqlFragments: ['1'], parameters: [] }, {})
    for (const node of [hidden, shifty, proxied]) {
      expect(() =>
        bound
          .selectFrom('cc_service_records')
          .where('tenant_id', '=', 'acme')
          .select(sql`${{ toOperationNode: () => node } as never}`.as('n'))
          .compile(),
      ).toThrow(expect.objectContaining(rejected))
    }
  })
})

describe('DataMap and callwarden tables', () => {
  it("refuses a dataset that would redefine the tenant column of callwarden's own table", () => {
    const declaration = {
      name: 'consents_view',
      table: 'cw_consents',
      tenantColumn: 'source',
      primaryKey: 'id',
      timeColumn: 'created_at',
      category: 'call_analytics',
    } as const
    expect(() => DataMap.from([declaration])).toThrow(
      expect.objectContaining({ code: 'ERR_DATAMAP_INVALID' }),
    )
    expect(() => DataMap.from([{ ...declaration, tenantColumn: 'tenant_id' }])).not.toThrow()
    for (const table of ['cw_{tenant}', '{tenant}_consents', 'cw_x_{tenant}']) {
      expect(() => DataMap.from([{ ...declaration, table, tenantColumn: undefined }])).toThrow(
        expect.objectContaining({ code: 'ERR_DATAMAP_INVALID' }),
      )
    }
  })

  it("keeps callwarden's tenant column whatever rules a guard is given", () => {
    const guard = new TenantGuardPlugin({
      rules: [{ table: 'cw_consents', tenantColumn: 'source' }],
      tenantId: 'acme',
    })
    const db = database.db.withPlugin(guard)
    expect(() => db.selectFrom('cw_consents').where('source', '=', 'acme').selectAll().compile()).toThrow(
      expect.objectContaining(rejected),
    )
    db.selectFrom('cw_consents').where('tenant_id', '=', 'acme').selectAll().compile()
  })
})
