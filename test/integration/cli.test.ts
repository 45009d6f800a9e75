/**
 * The CLI as a user runs it: `--help`, `migrate`, `demo` on the embedded default and on
 * MariaDB + radosgw, and one-line ERR_* failures.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './cli-process.js'

const cli = (args: string[], options: { cwd: string; env?: Record<string, string> }) =>
  runCli(args, options.cwd, options.env)
import { openDatabase } from '../../src/store/database.js'
import { TenantScope } from '../../src/store/tenant-scope.js'
import { DataMap } from '../../src/store/data-map/data-map.js'
import { REFERENCE_DATASETS } from '../../src/store/reference-schema.js'
import { freshMysqlDatabase, s3Settings } from './services.js'
import { createCallwarden } from '../../src/index.js'
import { readFile, writeFile } from 'node:fs/promises'

describe('callwarden CLI', () => {
  let cwd: string

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'cw-cli-'))
  })

  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true })
  })

  it('--help lists the commands and exits 0', async () => {
    const { code, stdout } = await cli(['--help'], { cwd })
    expect(code).toBe(0)
    expect(stdout).toContain('migrate')
    expect(stdout).toContain('demo')
  })

  it('migrate is idempotent', async () => {
    const first = await cli(['migrate'], { cwd })
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('core/0001_tenants_and_leases')
    const second = await cli(['migrate'], { cwd })
    expect(second.stdout).toContain('none (up to date)')
  })

  it('demo seeds a tenant on the embedded default and prints the decision', async () => {
    const { code, stdout, stderr } = await cli(['demo', '--records', '800'], { cwd })
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const tenant = /^tenant: (demo-[0-9a-f]{6})$/m.exec(stdout)?.[1]
    expect(tenant).toBeDefined()
    expect(stdout).toMatch(/^outbound decision: allow/m)
    // Never print a number: the demo dials +8613988888888 and shows an agent +8618912348352.
    expect(stdout).not.toContain('13988888888')
    expect(stdout).toMatch(
      /^agent view: allow, customer number 189\*{4}8352, screen pop .*mobile=189\*{4}8352/m,
    )
    expect(stdout).not.toContain('18912348352')

    const database = openDatabase(`sqlite:${join(cwd, '.callwarden/callwarden.db')}`)
    try {
      const scope = new TenantScope(database.db, DataMap.from(REFERENCE_DATASETS), tenant!)
      const { n, oldest } = await scope
        .selectFrom('service_records')
        .select((eb) => [eb.fn.countAll().as('n'), eb.fn.min('started_at').as('oldest')])
        .executeTakeFirstOrThrow()
      expect(Number(n)).toBe(800)
      // Spread over the last 12 months: some rows are past the 6-month retention.
      expect(Date.now() - Number(oldest)).toBeGreaterThan(183 * 86_400_000)
    } finally {
      await database.close()
    }
  })

  it('demo runs on MariaDB + radosgw', async () => {
    const fresh = await freshMysqlDatabase()
    const s3 = s3Settings()
    try {
      const { code, stdout, stderr } = await cli(['demo', '--records', '300'], {
        cwd,
        env: {
          CALLWARDEN_DATABASE_URL: fresh.url,
          CALLWARDEN_BLOB_URL: `s3://${s3.bucket}/cli-demo?endpoint=${s3.endpoint}&region=${s3.region}`,
          AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
        },
      })
      expect(stderr).toBe('')
      expect(code).toBe(0)
      expect(stdout).toMatch(/^database: mysql:\/\/[^:]+:\*\*\*@/m) // the password is not printed
      expect(stdout).toMatch(/^seeded: 300 service records/m)
    } finally {
      await fresh.drop()
    }
  })

  it('fails with one ERR_* line and a non-zero exit code on bad configuration', async () => {
    const { code, stderr } = await cli(['migrate'], {
      cwd,
      env: { CALLWARDEN_DATABASE_URL: 'postgres://db/x' },
    })
    expect(code).not.toBe(0)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toMatch(/^ERR_CONFIG_INVALID: .*databaseUrl/)
    const bad = await cli(['demo', '--records', 'lots'], { cwd })
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/^ERR_CONFIG_INVALID: --records/)
  })

  it('audit verify of a tenant that does not exist fails instead of calling it intact', async () => {
    const unknown = await cli(['audit', 'verify', '--tenant', 'nope'], { cwd })
    expect(unknown.code).not.toBe(0)
    expect(unknown.stdout).not.toMatch(/intact/)
    expect(unknown.stderr).toMatch(/^ERR_TENANT_INVALID: /)
  })

  it('audit: checkpoint, export, verify a bundle, prove, verify the proof, and report damage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cw-cli-audit-'))
    const state = join(dir, '.callwarden')
    try {
      // The library and the CLI (run in `dir`) share the embedded default's files.
      const cw = await createCallwarden(
        {
          databaseUrl: `sqlite:${join(state, 'callwarden.db')}`,
          blobUrl: `file:${join(state, 'blobs')}`,
          audit: { signingKeyFile: join(state, 'audit-signing-key.json') },
          masking: { ivrHashSecretFile: join(state, 'ivr-hash-secret') },
          log: { level: 'silent' },
        },
        { loadEnvironment: false },
      )
      try {
        await cw.tenants.create({ id: 'acme', name: 'ACME' })
        for (let i = 0; i < 12; i += 1) {
          await cw.audit.append({
            tenantId: 'acme',
            actor: { id: `agent-${i}`, role: 'agent' },
            action: 'recording.play',
            target: { type: 'recording', id: `rec-${i}` },
            outcome: 'success',
          })
        }
      } finally {
        await cw.close()
      }
      const run = (args: string[]) => cli(['audit', ...args], { cwd: dir })

      expect((await run(['checkpoint', '--tenant', 'acme', '--force'])).code).toBe(0)
      const exported = await run(['export', '--tenant', 'acme', '--out', 'bundle.zip'])
      expect(exported.stderr).toBe('')
      expect(exported.code).toBe(0)
      const verified = await run(['verify', '--bundle', 'bundle.zip'])
      expect(verified.code).toBe(0)
      expect(verified.stdout).toMatch(/^result: intact$/m)

      const jwks = await run(['jwks'])
      expect(jwks.code).toBe(0)
      await writeFile(join(dir, 'jwks.json'), jwks.stdout)
      expect(JSON.parse(jwks.stdout).keys[0]).not.toHaveProperty('d') // public keys only
      expect((await run(['prove', '--tenant', 'acme', '--seq', '5', '--out', 'proof.json'])).code).toBe(0)
      const proof = await run(['verify-proof', 'proof.json', '--jwks', 'jwks.json'])
      expect(proof.code).toBe(0)
      const forged = JSON.parse(await readFile(join(dir, 'proof.json'), 'utf8'))
      forged.event.actor.id = 'someone-else'
      await writeFile(join(dir, 'forged.json'), JSON.stringify(forged))
      expect((await run(['verify-proof', 'forged.json', '--jwks', 'jwks.json'])).code).toBe(2)

      const database = openDatabase(`sqlite:${join(state, 'callwarden.db')}`)
      try {
        const row = await database.db
          .selectFrom('cw_audit_events')
          .selectAll()
          .where('tenant_id', '=', 'acme')
          .where('seq', '=', 7)
          .executeTakeFirstOrThrow()
        await database.db
          .updateTable('cw_audit_events')
          .set({ body: String(row.body).replace('"agent-6"', '"agent-x"'), actor_id: 'agent-x' })
          .where('tenant_id', '=', 'acme')
          .where('seq', '=', 7)
          .execute()
      } finally {
        await database.close()
      }
      const damaged = await run(['verify', '--tenant', 'acme'])
      expect(damaged.code).toBe(2)
      expect(damaged.stdout).toMatch(/first bad sequence number 7: event-modified/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
    // Eight CLI processes in a row: on a machine shared with the rest of the suite, past a minute.
  }, 240_000)
})
