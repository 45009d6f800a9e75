/**
 * The store contract: the same tests on SQLite and on MariaDB. Migrations, the data map,
 * tenant scoping (with a fast-check property over random queries), leases and the dialect
 * helpers must behave identically on both.
 */
import fc from 'fast-check'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { DataMap } from '../../src/store/data-map/data-map.js'
import type { DatasetDeclarationInput } from '../../src/store/data-map/dataset.js'
import type { Database } from '../../src/store/database.js'
import { deleteByKeys, insertIfAbsent, upsert } from '../../src/store/dialect-helpers.js'
import { LeaseManager } from '../../src/store/lease-manager.js'
import { migrate } from '../../src/store/migrations/migrate.js'
import { REFERENCE_DATASETS } from '../../src/store/reference-schema.js'
import { TenantGuardPlugin } from '../../src/store/tenant-guard-plugin.js'
import { TenantRegistry } from '../../src/store/tenant-registry.js'
import { TenantScope } from '../../src/store/tenant-scope.js'
import { STACKS } from './stacks.js'

const PER_TENANT_CDR: DatasetDeclarationInput = {
  name: 'legacy_cdr',
  table: 'cdr_{tenant}',
  primaryKey: 'id',
  timeColumn: 'ended_at',
  timeFormat: 'datetime',
  category: 'call_analytics',
  subjectColumns: [{ column: 'customer', kind: 'phone' }],
  piiColumns: [{ column: 'customer', kind: 'phone' }],
}

const TENANTS = ['acme', 'globex', 'initech'] as const

for (const stack of STACKS) {
  describe(`store contract on ${stack.name}`, () => {
    let database: Database & { dispose(): Promise<void> }
    let dataMap: DataMap

    beforeAll(async () => {
      database = await stack.openDatabase()
      await migrate(database)
      // A Clink-style per-tenant table ("dynamic table name") for each tenant.
      for (const tenant of TENANTS) {
        await database.db.schema
          .createTable(`cdr_${tenant}`)
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('ended_at', 'varchar(23)', (c) => c.notNull())
          .addColumn('customer', 'varchar(32)', (c) => c.notNull())
          .execute()
      }
      dataMap = DataMap.from([...REFERENCE_DATASETS, PER_TENANT_CDR])
    })

    afterAll(async () => {
      await database?.dispose()
    })

    it('migrates idempotently: a second run applies nothing', async () => {
      const again = await migrate(database)
      expect(again.applied).toEqual([])
      expect(again.alreadyApplied).toBeGreaterThan(0)
    })

    it('validates the data map against the live schema', async () => {
      await expect(dataMap.validateAgainst(database.db)).resolves.toBeUndefined()
      const broken = DataMap.from([{ ...REFERENCE_DATASETS[0]!, timeColumn: 'no_such_column' }])
      await expect(broken.validateAgainst(database.db)).rejects.toMatchObject({
        code: 'ERR_DATAMAP_INVALID',
        dataset: 'service_records',
        column: 'no_such_column',
      })
      const missing = DataMap.from([{ ...REFERENCE_DATASETS[0]!, table: 'nope' }])
      await expect(missing.validateAgainst(database.db)).rejects.toMatchObject({
        code: 'ERR_DATAMAP_INVALID',
      })
      const template = DataMap.from([{ ...PER_TENANT_CDR, piiColumns: [{ column: 'phone', kind: 'phone' }] }])
      await expect(template.validateAgainst(database.db)).rejects.toMatchObject({
        code: 'ERR_DATAMAP_INVALID',
        column: 'phone',
      })
    })

    it('enforces the access-status closed set in the database', async () => {
      const scope = new TenantScope(database.db, dataMap, 'acme')
      // An outbound status on an inbound call.
      const row = serviceRecord({ call_id: 'c-bad', started_at: 1, access_status: 'busy', duration_s: 0 })
      await expect(scope.insert('service_records', [row])).rejects.toThrow()
      await expect(scope.insert('service_records', [{ ...row, direction: 'outbound' }])).resolves.toBe(1)
      await scope.deleteFrom('service_records').where('call_id', '=', 'c-bad').execute()
    })

    it('the guard rejects an unscoped query and a predicate for another tenant', async () => {
      const guarded = database.db.withPlugin(new TenantGuardPlugin({ rules: dataMap.tenantTableRules() }))
      await expect(guarded.selectFrom('cc_service_records').selectAll().execute()).rejects.toMatchObject({
        code: 'ERR_TENANT_SCOPE',
        table: 'cc_service_records',
      })
      await expect(
        guarded.selectFrom('cc_service_records').selectAll().where('tenant_id', '=', 'acme').execute(),
      ).resolves.toBeInstanceOf(Array)
      const scope = new TenantScope(database.db, dataMap, 'acme')
      await expect(
        scope.selectFrom('service_records').selectAll().where('tenant_id', '=', 'globex').execute(),
      ).rejects.toMatchObject({ code: 'ERR_TENANT_SCOPE' })
      await expect(
        scope.insert('service_records', [{ tenant_id: 'globex', call_id: 'x' }]),
      ).rejects.toMatchObject({ code: 'ERR_TENANT_SCOPE' })
      // Per-tenant tables: the scope reaches its own table only.
      expect(scope.tableOf('legacy_cdr')).toBe('cdr_acme')
    })

    it('property: no query path through a scope returns or changes another tenant’s rows', async () => {
      const row = fc.record({
        tenant: fc.constantFrom(...TENANTS),
        startedAt: fc.integer({ min: 0, max: 1_000_000 }),
        inbound: fc.boolean(),
        duration: fc.integer({ min: 0, max: 3600 }),
        group: fc.constantFrom('vip', 'billing', 'support'),
      })
      const query = fc.record({
        tenant: fc.constantFrom(...TENANTS),
        op: fc.constantFrom('select', 'count', 'update', 'delete', 'page', 'template'),
        from: fc.integer({ min: 0, max: 1_000_000 }),
        span: fc.integer({ min: 0, max: 1_000_000 }),
        group: fc.option(fc.constantFrom('vip', 'billing', 'support'), { nil: undefined }),
        limit: fc.integer({ min: 1, max: 50 }),
      })
      const raw = database.db
      await fc.assert(
        fc.asyncProperty(
          fc.array(row, { minLength: 1, maxLength: 40 }),
          fc.array(query, { maxLength: 8 }),
          async (rows, queries) => {
            // The model of which rows still exist; deletes remove from it.
            const live = new Set(rows.keys())
            await raw.deleteFrom('cc_service_records').execute()
            for (const t of TENANTS) await raw.deleteFrom(`cdr_${t}`).execute()
            for (const [i, r] of rows.entries()) {
              await new TenantScope(raw, dataMap, r.tenant).insert('service_records', [
                serviceRecord({
                  call_id: `p-${i}`,
                  started_at: r.startedAt,
                  direction: r.inbound ? 'inbound' : 'outbound',
                  access_status: r.inbound ? 'normal_end' : 'unknown',
                  duration_s: r.duration,
                  skill_group: r.group,
                }),
              ])
              await new TenantScope(raw, dataMap, r.tenant).insert('legacy_cdr', [
                {
                  id: `p-${i}`,
                  ended_at: new Date(r.startedAt).toISOString().slice(0, 23),
                  customer: `+1555${i}`,
                },
              ])
            }
            for (const q of queries) {
              const before = await snapshot(raw)
              const scope = new TenantScope(raw, dataMap, q.tenant)
              let select = scope
                .selectFrom('service_records')
                .where('started_at', '>=', q.from)
                .where('started_at', '<=', q.from + q.span)
              if (q.group !== undefined) select = select.where('skill_group', '=', q.group)
              switch (q.op) {
                case 'select': {
                  const got = await select.selectAll().execute()
                  expect(got.every((r) => r.tenant_id === q.tenant)).toBe(true)
                  break
                }
                case 'page': {
                  const got = await select.selectAll().orderBy('id').limit(q.limit).execute()
                  expect(got.every((r) => r.tenant_id === q.tenant)).toBe(true)
                  break
                }
                case 'count': {
                  const got = await select.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
                  const expected = rows.filter(
                    (r, i) =>
                      live.has(i) &&
                      r.tenant === q.tenant &&
                      r.startedAt >= q.from &&
                      r.startedAt <= q.from + q.span &&
                      (q.group === undefined || r.group === q.group),
                  ).length
                  expect(Number(got.n)).toBe(expected)
                  break
                }
                case 'template': {
                  const got = await scope.selectFrom('legacy_cdr').selectAll().execute()
                  const expected = rows.filter((r) => r.tenant === q.tenant).length
                  expect(got).toHaveLength(expected)
                  break
                }
                case 'update':
                case 'delete': {
                  if (q.op === 'update') {
                    await scope
                      .updateTable('service_records')
                      .set({ remark: `touched by ${q.tenant}` })
                      .where('started_at', '>=', q.from)
                      .execute()
                  } else {
                    await scope.deleteFrom('service_records').where('started_at', '>=', q.from).execute()
                  }
                  if (q.op === 'delete') {
                    rows.forEach((r, i) => {
                      if (r.tenant === q.tenant && r.startedAt >= q.from) live.delete(i)
                    })
                  }
                  const after = await snapshot(raw)
                  // Every other tenant's rows are exactly as they were.
                  for (const [key, value] of before) {
                    if (value.tenant_id !== q.tenant) expect(after.get(key)).toEqual(value)
                  }
                  break
                }
              }
            }
          },
        ),
        { numRuns: stack.name.startsWith('sqlite') ? 60 : 25 },
      )
    })

    it('upsert, insertIfAbsent and deleteByKeys behave alike', async () => {
      const scope = new TenantScope(database.db, dataMap, 'acme')
      const guarded = database.db.withPlugin(
        new TenantGuardPlugin({ rules: dataMap.tenantTableRules(), tenantId: 'acme' }),
      )
      const now = Date.now()
      const agent = (staff: string, name: string) => ({
        tenant_id: 'acme',
        staff_id: staff,
        name,
        status: 'enabled',
        role: 'agent',
        created_at: now,
        updated_at: now,
      })
      expect(await insertIfAbsent(guarded, 'cc_agents', agent('A1', 'First'))).toBe(true)
      expect(await insertIfAbsent(guarded, 'cc_agents', agent('A1', 'Second'))).toBe(false)
      await upsert(guarded, 'cc_agents', agent('A1', 'Third'), ['tenant_id', 'staff_id'], {
        name: 'Third',
      })
      await upsert(guarded, 'cc_agents', agent('A2', 'New'), ['tenant_id', 'staff_id'], {
        name: 'New',
      })
      const names = await scope
        .selectFrom('agents')
        .select(['staff_id', 'name'])
        .orderBy('staff_id')
        .execute()
      expect(names).toEqual([
        { staff_id: 'A1', name: 'Third' },
        { staff_id: 'A2', name: 'New' },
      ])
      const rows = Array.from({ length: 1203 }, (_, i) => serviceRecord({ call_id: `k-${i}`, started_at: i }))
      await scope.deleteFrom('service_records').execute()
      await scope.insert('service_records', rows)
      const ids = (await scope.selectFrom('service_records').select('id').execute()).map((r) => Number(r.id))
      expect(
        await deleteByKeys(guarded, 'cc_service_records', 'id', ids.slice(0, 1100), { tenant_id: 'acme' }),
      ).toBe(1100)
      const left = await scope
        .selectFrom('service_records')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
      expect(Number(left.n)).toBe(103)
    })

    it('a failed multi-batch insert writes nothing', async () => {
      const scope = new TenantScope(database.db, dataMap, 'globex')
      await scope.deleteFrom('service_records').execute()
      // The last row breaks the closed set, after the first batch has been sent.
      const rows = Array.from({ length: 700 }, (_, i) =>
        serviceRecord({
          call_id: `t-${i}`,
          started_at: i,
          access_status: i === 699 ? 'not-a-status' : 'normal_end',
        }),
      )
      await expect(scope.insert('service_records', rows)).rejects.toThrow()
      const count = await scope
        .selectFrom('service_records')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
      expect(Number(count.n)).toBe(0)
    })

    it('tenants: create, duplicate, status changes', async () => {
      const clock = new ManualClock(Date.UTC(2026, 10, 1))
      const tenants = new TenantRegistry(database.db, clock)
      const t = await tenants.create({
        id: 'umbrella',
        name: 'Umbrella',
        protectionMode: 'uid',
        allowedRegions: ['SG'],
      })
      expect(t).toMatchObject({
        status: 'active',
        protectionMode: 'uid',
        allowedRegions: ['SG'],
        defaultRegion: 'CN',
      })
      await expect(tenants.create({ id: 'umbrella', name: 'again' })).rejects.toMatchObject({
        code: 'ERR_TENANT_INVALID',
      })
      await expect(tenants.create({ id: 'Bad Id', name: 'x' })).rejects.toMatchObject({
        code: 'ERR_TENANT_INVALID',
      })
      const terminated = await tenants.setStatus('umbrella', 'terminated')
      expect(terminated.terminatedAt).toEqual(clock.now())
      await expect(tenants.setStatus('nobody', 'active')).rejects.toMatchObject({
        code: 'ERR_TENANT_INVALID',
      })
    })

    it('leases: one holder, renew, release, takeover after expiry with a larger token', async () => {
      const clock = new ManualClock(Date.UTC(2026, 10, 1))
      const a = new LeaseManager(database.db, { owner: 'replica-a', clock })
      const b = new LeaseManager(database.db, { owner: 'replica-b', clock })
      const held = await a.acquire('purge:acme', 10_000)
      expect(held.token).toBe(1)
      expect(await b.tryAcquire('purge:acme', 10_000)).toBeUndefined()
      await expect(b.acquire('purge:acme', 10_000)).rejects.toMatchObject({ code: 'ERR_LEASE_HELD' })
      clock.advance(5_000)
      const renewed = await a.renew(held, 10_000)
      expect(renewed.token).toBe(1)
      clock.advance(9_000)
      expect(await b.tryAcquire('purge:acme', 10_000)).toBeUndefined()
      clock.advance(2_000) // a's lease has expired
      const taken = await b.acquire('purge:acme', 10_000)
      expect(taken.token).toBe(2)
      await expect(a.renew(renewed, 10_000)).rejects.toMatchObject({ code: 'ERR_LEASE_LOST' })
      await expect(a.fenced(renewed, async () => 'written')).rejects.toMatchObject({
        code: 'ERR_LEASE_FENCED',
      })
      await expect(b.fenced(taken, async () => 'written')).resolves.toBe('written')
      expect(await a.release(renewed)).toBe(false)
      expect(await b.release(taken)).toBe(true)
      const again = await a.acquire('purge:acme', 10_000)
      expect(again.token).toBe(3)
      // A lease still running is not taken again, not even by its own owner (overlapping runs).
      expect(await a.tryAcquire('purge:acme', 10_000)).toBeUndefined()
      // A clock that goes backwards does not extend someone else's lease into ours.
      clock.advance(-60_000)
      expect(await b.tryAcquire('purge:acme', 10_000)).toBeUndefined()
    })

    it('a stale holder’s fenced write is refused and writes nothing', async () => {
      const clock = new ManualClock(Date.UTC(2026, 10, 1))
      const a = new LeaseManager(database.db, { owner: 'a', clock })
      const held = await a.acquire('fence-rollback', 1_000)
      await database.db.schema.createTable('fence_probe').ifNotExists().addColumn('v', 'integer').execute()
      clock.advance(2_000)
      await expect(
        a.fenced(held, (trx) => trx.insertInto('fence_probe').values({ v: 1 }).execute()),
      ).rejects.toMatchObject({ code: 'ERR_LEASE_FENCED' })
      const rows = await sql<{ n: number }>`select count(*) as n from fence_probe`.execute(database.db)
      expect(Number(rows.rows[0]!.n)).toBe(0)
    })
  })
}

async function snapshot(db: Database['db']): Promise<Map<string, Record<string, unknown>>> {
  const rows = await db.selectFrom('cc_service_records').selectAll().execute()
  return new Map(rows.map((r) => [String(r.id), r]))
}

/** A valid inbound service record, with `fields` overriding. */
function serviceRecord(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    direction: 'inbound',
    caller: '+8613900000000',
    callee: '+862088886666',
    access_status: 'normal_end',
    duration_s: 1,
    ...fields,
  }
}
