/**
 * The tenant guard on its own, against an in-memory SQLite: which query shapes count as
 * scoped and which are rejected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql, type Kysely } from 'kysely'
import { DataMap } from '../../src/store/data-map/data-map.js'
import { openDatabase, type Database } from '../../src/store/database.js'
import { migrate } from '../../src/store/migrations/migrate.js'
import { REFERENCE_DATASETS } from '../../src/store/reference-schema.js'
import { TenantGuardPlugin } from '../../src/store/tenant-guard-plugin.js'

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
