/**
 * Several OS processes appending to one tenant's chain on MariaDB at once: the chain stays
 * gapless and fork-free, and verifies.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type Database } from '../../src/store/database.js'
import type { AuditTrail } from '../../src/audit/audit-trail.js'
import { freshMysqlDatabase } from './services.js'
import { openTrail } from './audit-helpers.js'
import { TenantRegistry } from '../../src/store/tenant-registry.js'

const run = promisify(execFile)
const worker = fileURLToPath(new URL('../fixtures/audit-appender.ts', import.meta.url))

describe('audit appends from several processes on MariaDB', () => {
  let fresh: Awaited<ReturnType<typeof freshMysqlDatabase>>
  let database: Database
  let trail: AuditTrail

  beforeAll(async () => {
    fresh = await freshMysqlDatabase()
    database = openDatabase(fresh.url, { poolSize: 2 })
    trail = await openTrail(database, { everyEvents: 1000 })
    // The appending processes ask the tenant registry, as createCallwarden() wires it.
    await new TenantRegistry(database.db).create({ id: 'shared', name: 'Shared' })
  })

  afterAll(async () => {
    await trail?.close()
    await database?.close()
    await fresh?.drop()
  })

  it('keeps one gapless, fork-free, verifiable chain', async () => {
    const processes = ['p1', 'p2', 'p3']
    const perProcess = 1500
    const outputs = await Promise.all(
      processes.map((name) =>
        run(
          process.execPath,
          ['--import', 'tsx', worker, fresh.url, 'shared', String(perProcess), '40', name],
          {
            timeout: 60_000,
          },
        ),
      ),
    )
    const seqs = outputs.flatMap((o) => (JSON.parse(o.stdout) as { seqs: number[] }).seqs)
    const total = processes.length * perProcess
    expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1))
    // Each process got interleaved ranges, so the processes really contended.
    const firsts = outputs.map((o) => Math.min(...(JSON.parse(o.stdout) as { seqs: number[] }).seqs))
    const lasts = outputs.map((o) => Math.max(...(JSON.parse(o.stdout) as { seqs: number[] }).seqs))
    expect(Math.max(...firsts)).toBeLessThan(Math.min(...lasts))
    const rows = await database.db
      .selectFrom('cw_audit_events')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('seq').as('max')])
      .where('tenant_id', '=', 'shared')
      .executeTakeFirstOrThrow()
    expect([Number(rows.n), Number(rows.max)]).toEqual([total, total])
    expect(await trail.head('shared')).toMatchObject({ lastSeq: total })
    await trail.checkpoint('shared', { force: true })
    expect(await trail.verify({ tenantId: 'shared' })).toMatchObject({ ok: true, signedThroughSeq: total })
  })
})
