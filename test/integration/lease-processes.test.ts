/**
 * Leases across two OS processes against MariaDB: exactly one holder at a time, takeover
 * after expiry, and a stale holder's fenced write refused.
 */
import { execFile, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type Database } from '../../src/store/database.js'
import { migrate } from '../../src/store/migrations/migrate.js'
import { freshMysqlDatabase } from './services.js'

const run = promisify(execFile)
const worker = fileURLToPath(new URL('../fixtures/lease-worker.ts', import.meta.url))
const node = (args: string[]) =>
  run(process.execPath, ['--import', 'tsx', worker, ...args], { timeout: 30_000 })

describe('leases between two processes on MariaDB', () => {
  let fresh: Awaited<ReturnType<typeof freshMysqlDatabase>>
  let database: Database

  beforeAll(async () => {
    fresh = await freshMysqlDatabase()
    database = openDatabase(fresh.url, { poolSize: 2 })
    await migrate(database, { referenceSchema: false })
    await database.db.schema
      .createTable('lease_log')
      .addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement())
      .addColumn('owner', 'varchar(64)', (c) => c.notNull())
      .addColumn('token', 'bigint', (c) => c.notNull())
      .addColumn('phase', 'varchar(32)', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute()
  })

  afterAll(async () => {
    await database?.close()
    await fresh?.drop()
  })

  it('exactly one holder at a time while two processes contend', async () => {
    const [a, b] = await Promise.all([
      node(['contend', fresh.url, 'proc-a', '4000']),
      node(['contend', fresh.url, 'proc-b', '4000']),
    ])
    const holds = [JSON.parse(a.stdout).holds as number, JSON.parse(b.stdout).holds as number]
    const rows = await database.db.selectFrom('lease_log').selectAll().orderBy('id').execute()
    expect(rows.length).toBe(2 * (holds[0]! + holds[1]!))
    // Holds never interleave: start/end pairs of one owner and token, tokens strictly growing.
    let lastToken = 0
    for (let i = 0; i < rows.length; i += 2) {
      const [start, end] = [rows[i]!, rows[i + 1]!]
      expect([start.phase, end.phase]).toEqual(['start', 'end'])
      expect(end.owner).toBe(start.owner)
      expect(Number(end.token)).toBe(Number(start.token))
      expect(Number(start.token)).toBeGreaterThan(lastToken)
      lastToken = Number(start.token)
    }
    console.log(
      `lease contention: proc-a held ${holds[0]} times, proc-b ${holds[1]} times, last token ${lastToken}`,
    )
    expect(holds[0]! + holds[1]!).toBeGreaterThan(10)
  })

  it('takes over after expiry and refuses the stale holder’s fenced write', async () => {
    const stall = spawn(process.execPath, ['--import', 'tsx', worker, 'stall', fresh.url, 'stalled'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const lines: string[] = []
    const acquired = new Promise<void>((resolve, reject) => {
      stall.stdout.on('data', (chunk: Buffer) => {
        lines.push(...String(chunk).trim().split('\n'))
        if (lines.some((l) => l.includes('"acquired"'))) resolve()
      })
      stall.on('exit', () => reject(new Error(`stall worker exited early: ${lines.join(' ')}`)))
    })
    await acquired
    const takeover = JSON.parse((await node(['takeover', fresh.url, 'rescuer'])).stdout)
    const exitCode = await new Promise<number | null>((resolve) => {
      if (stall.exitCode !== null) resolve(stall.exitCode)
      else stall.on('exit', resolve)
    })
    expect(exitCode).toBe(0)
    const stale = JSON.parse(lines.find((l) => l.includes('"stale-write"'))!)
    const first = JSON.parse(lines.find((l) => l.includes('"acquired"'))!)
    expect(takeover.token).toBe(first.token + 1)
    expect(takeover.at).toBeGreaterThanOrEqual(first.expiresAt) // only once the lease had expired
    expect(stale.refused).toBe('ERR_LEASE_FENCED')
    const phases = (
      await database.db
        .selectFrom('lease_log')
        .select('phase')
        .where('owner', 'in', ['stalled', 'rescuer'])
        .execute()
    ).map((r) => r.phase)
    expect(phases).toEqual(['takeover-write'])
  })
})
