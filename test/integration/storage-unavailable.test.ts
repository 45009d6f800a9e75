/**
 * A database that cannot serve a query now — a SQLite file whose write lock another process
 * holds, a MariaDB row lock not granted in time — is `ERR_STORAGE_UNAVAILABLE` for writes and
 * admin commands (CLI exit 75, EX_TEMPFAIL), and a denial `ERR_POLICY_UNAVAILABLE` for a
 * decision, which leaves no attempt behind.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock, createCallwarden, type Callwarden } from '../../src/index.js'
import { openDatabase } from '../../src/store/database.js'
import { event } from './audit-helpers.js'
import { freshMysqlDatabase } from './services.js'

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))
const lockHolder = fileURLToPath(new URL('../fixtures/sqlite-write-lock.ts', import.meta.url))
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
const ADMIN = { id: 'admin-1', role: 'admin' } as const
/** Monday 2026-11-23, 14:00 in New York. */
const DAY = '2026-11-23T19:00:00Z'

async function holdWriteLock(path: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', tsx, lockHolder, path], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  let out = ''
  for await (const chunk of child.stdout!) {
    out += String(chunk)
    if (out.includes('locked')) return child
  }
  throw new Error('the lock holder exited before taking the lock')
}

async function release(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null) return
  const exited = once(child, 'exit')
  child.stdin!.end()
  await exited
}

describe('a SQLite database locked by another process', () => {
  let cwd: string
  let dbPath: string
  let cw: Callwarden
  let holder: ChildProcess | undefined

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'cw-busy-'))
    dbPath = join(cwd, '.callwarden/callwarden.db')
    cw = await createCallwarden(
      {
        databaseUrl: `sqlite:${dbPath}`,
        blobUrl: `file:${join(cwd, '.callwarden/blobs')}`,
        log: { level: 'silent' },
        audit: { signingKeyFile: join(cwd, '.callwarden/audit-signing-key.json') },
        masking: { ivrHashSecretFile: join(cwd, '.callwarden/ivr-hash-secret') },
      },
      { loadEnvironment: false, clock: new ManualClock(new Date(DAY)) },
    )
    await cw.tenants.create({ id: 'usco', name: 'US Co', protectionMode: 'none', defaultRegion: 'US' })
    holder = await holdWriteLock(dbPath)
  })

  afterAll(async () => {
    await release(holder)
    await cw?.close()
    await rm(cwd, { recursive: true, force: true })
  })

  it('refuses appends and admin writes with ERR_STORAGE_UNAVAILABLE, once', async () => {
    await expect(cw.audit.append(event('usco', 1))).rejects.toMatchObject({
      code: 'ERR_STORAGE_UNAVAILABLE',
      reason: 'busy',
    })
    await expect(
      cw.policy.blacklist.add({ tenantId: 'usco', number: '+12015550177', by: ADMIN }),
    ).rejects.toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' })
    await expect(
      cw.tenants.create({ id: 'later', name: 'Later', protectionMode: 'none' }),
    ).rejects.toMatchObject({
      code: 'ERR_STORAGE_UNAVAILABLE',
    })
  })

  it('the CLI reports it as ERR_STORAGE_UNAVAILABLE with exit code 75', async () => {
    const result = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        tsx,
        main,
        'blacklist',
        'add',
        '--tenant',
        'usco',
        '--number',
        '+12015550178',
        '--as',
        'admin-1',
      ],
      {
        cwd,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, CALLWARDEN_LOG_LEVEL: 'warn' },
        timeout: 60_000,
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    )
    expect(result.code).toBe(75)
    expect(result.stderr).toMatch(/^ERR_STORAGE_UNAVAILABLE: /)
    expect(result.stderr).not.toContain('2015550178')
  })

  it('denies a decision that must record an attempt, and no attempt is left once the lock is gone', async () => {
    const callee = '+14155550123'
    const decision = await cw.pipeline.outbound.run({ tenantId: 'usco', callee, purpose: 'service', at: DAY })
    expect(decision.verdict).toBe('deny')
    expect(decision.reasons.at(-1)?.code).toBe('ERR_POLICY_UNAVAILABLE')
    await release(holder)
    expect(
      await cw.policy.attempts.count({
        tenantId: 'usco',
        number: callee,
        at: new Date(DAY),
        windowHours: 24,
      }),
    ).toBe(0)
    // And with the lock gone, the same call is decided normally.
    expect(
      (await cw.pipeline.outbound.run({ tenantId: 'usco', callee, purpose: 'service', at: DAY })).verdict,
    ).toBe('allow')
  })
})

describe('a MariaDB row lock held by another connection', () => {
  let drop: () => Promise<void>
  let url: string
  let cw: Callwarden
  let dir: string

  beforeAll(async () => {
    const fresh = await freshMysqlDatabase()
    url = fresh.url
    drop = fresh.drop
    dir = await mkdtemp(join(tmpdir(), 'cw-lockwait-'))
    cw = await createCallwarden(
      {
        databaseUrl: url,
        poolSize: 1,
        blobUrl: `file:${join(dir, 'blobs')}`,
        log: { level: 'silent' },
        audit: { signingKeyFile: join(dir, 'audit-key.json') },
        masking: { ivrHashSecretFile: join(dir, 'ivr-hash-secret') },
      },
      { loadEnvironment: false, clock: new ManualClock(new Date(DAY)) },
    )
    await cw.tenants.create({ id: 'usco', name: 'US Co', protectionMode: 'none', defaultRegion: 'US' })
    await cw.audit.append(event('usco', 0))
    // The only connection of the pool gives up on a row lock after one second.
    await sql`set session innodb_lock_wait_timeout = 1`.execute(cw.database.db)
  })

  afterAll(async () => {
    await cw?.close()
    await drop?.()
    await rm(dir, { recursive: true, force: true })
  })

  it('an append that cannot get the chain head is ERR_STORAGE_UNAVAILABLE (lock-wait)', async () => {
    const other = openDatabase(url, { poolSize: 1 })
    try {
      await other.db.transaction().execute(async (trx) => {
        await sql`select last_seq from cw_audit_heads where tenant_id = ${'usco'} for update`.execute(trx)
        await expect(cw.audit.append(event('usco', 1))).rejects.toMatchObject({
          code: 'ERR_STORAGE_UNAVAILABLE',
          reason: 'lock-wait',
        })
      })
    } finally {
      await other.close()
    }
    // Once the lock is gone, the chain goes on.
    await expect(cw.audit.append(event('usco', 2))).resolves.toBeDefined()
  })
})
