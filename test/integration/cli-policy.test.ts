/**
 * `callwarden blacklist` and `callwarden check-call` as a user runs them on the embedded default: add (number, prefix,
 * call id), list masked and as admin, import with a per-line report, export, remove, and
 * one-line ERR_* failures.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli as cli } from './cli-process.js'
import { createCallwarden } from '../../src/index.js'

describe('callwarden policy CLI', () => {
  let cwd: string

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'cw-cli-blacklist-'))
    const cw = await createCallwarden(
      {
        databaseUrl: `sqlite:${join(cwd, '.callwarden/callwarden.db')}`,
        blobUrl: `file:${join(cwd, '.callwarden/blobs')}`,
        log: { level: 'silent' },
        audit: { signingKeyFile: join(cwd, '.callwarden/audit-signing-key.json') },
        masking: { ivrHashSecretFile: join(cwd, '.callwarden/ivr-hash-secret') },
      },
      { loadEnvironment: false },
    )
    try {
      await cw.tenants.create({ id: 'acme', name: 'ACME', protectionMode: 'mask' })
      await cw.scope('acme').insert('service_records', [
        {
          call_id: 'call-1',
          started_at: Date.now(),
          direction: 'inbound',
          caller: '+8613977778888',
          callee: '4001234567',
          access_status: 'normal_end',
        },
      ])
    } finally {
      await cw.close()
    }
  })

  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true })
  })

  it('adds, lists masked unless --role admin, exports, imports with a report and removes', async () => {
    const added = await cli(
      ['blacklist', 'add', '--tenant', 'acme', '--number', '+8613911112222', '--reason', 'spam'],
      cwd,
    )
    expect(added.stderr).toBe('')
    expect(added.code).toBe(0)
    const id = /^entry: (bl-\S+) inserted \(exact, both\)$/m.exec(added.stdout)?.[1]
    expect(id).toBeDefined()
    expect(added.stdout).not.toContain('13911112222')

    const byCall = await cli(
      ['blacklist', 'add', '--tenant', 'acme', '--call', 'call-1', '--role', 'agent'],
      cwd,
    )
    expect(byCall.code).toBe(0)
    expect(byCall.stdout).not.toContain('13977778888')
    expect((await cli(['blacklist', 'add', '--tenant', 'acme', '--number', '+1201*'], cwd)).code).toBe(0)

    const masked = await cli(['blacklist', 'list', '--tenant', 'acme'], cwd)
    expect(masked.code).toBe(0)
    expect(masked.stdout).toContain('139****2222')
    expect(masked.stdout).toContain('139****8888')
    expect(masked.stdout).not.toMatch(/139(1111|7777)/)
    expect(masked.stdout).toMatch(/^entries: 3$/m)
    const admin = await cli(['blacklist', 'list', '--tenant', 'acme', '--role', 'admin'], cwd)
    expect(admin.stdout).toContain('+8613911112222')
    expect(admin.stdout).toContain('+1201*')

    const out = join(cwd, 'export.csv')
    const exported = await cli(['blacklist', 'export', '--tenant', 'acme', '--out', out], cwd)
    expect(exported.stdout).toMatch(/^exported: 3 entries/m)
    expect(exported.stdout).not.toContain('13911112222')
    expect(await readFile(out, 'utf8')).toContain('+8613911112222,both,spam,')

    const file = join(cwd, 'import.csv')
    await writeFile(file, 'number,direction,reason,expires_at\n+8613811112222,inbound,,\nnope,both,,\n')
    const imported = await cli(['blacklist', 'import', file, '--tenant', 'acme'], cwd)
    expect(imported.code).toBe(2)
    expect(imported.stdout).toContain('inserted: 1')
    expect(imported.stdout).toMatch(/^line 3: ERR_BLACKLIST_ENTRY_INVALID: /m)

    const removed = await cli(['blacklist', 'remove', '--tenant', 'acme', '--id', id!], cwd)
    expect(removed.code).toBe(0)
    const again = await cli(['blacklist', 'remove', '--tenant', 'acme', '--id', id!], cwd)
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/^ERR_BLACKLIST_ENTRY_NOT_FOUND: .*\n$/)
  })

  it('fails with one ERR_* line on bad input, never echoing the number', async () => {
    const bad = await cli(['blacklist', 'add', '--tenant', 'acme', '--number', '+86139123'], cwd)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^ERR_BLACKLIST_ENTRY_INVALID: [^\n]*\n$/)
    expect(bad.stderr).not.toContain('139123')
    const unknownCall = await cli(['blacklist', 'add', '--tenant', 'acme', '--call', 'nope'], cwd)
    expect(unknownCall.stderr).toMatch(/^ERR_CALL_NOT_FOUND: /)
    const role = await cli(
      ['blacklist', 'add', '--tenant', 'acme', '--number', '+8613911112222', '--role', 'auditor'],
      cwd,
    )
    expect(role.stderr).toMatch(/^ERR_ROLE_FORBIDDEN: /)
  })

  it('check-call asks the standard chains without placing the call, exit 0 allowed and 2 denied', async () => {
    const emergency = await cli(['check-call', '--tenant', 'acme', '--callee', '110'], cwd)
    expect(emergency.code).toBe(2)
    expect(emergency.stdout).toMatch(/^verdict: deny \(for \S+\)$/m)
    expect(emergency.stdout).toMatch(/^reason: ERR_POLICY_NUMBER_NOT_ALLOWED \[numberChecks\] /m)
    expect(emergency.stdout).toMatch(/^ {2}rule: emergency$/m)

    // Blacklisted (by call id, earlier): denied; the number is never printed.
    const listed = await cli(['check-call', '--tenant', 'acme', '--callee', '+8613977778888'], cwd)
    expect(listed.code).toBe(2)
    expect(listed.stdout).toMatch(/^reason: ERR_POLICY_BLACKLISTED /m)
    expect(listed.stdout + listed.stderr).not.toContain('13977778888')

    // An inbound-only entry blocks answering, not dialling.
    const json = await cli(
      [
        'check-call',
        '--tenant',
        'acme',
        '--callee',
        '+8613811112222',
        '--at',
        '2026-11-23T10:00:00+08:00',
        '--json',
      ],
      cwd,
    )
    expect(json.code).toBe(0)
    const decision = JSON.parse(json.stdout) as Record<string, unknown>
    expect(decision).toMatchObject({ verdict: 'allow', decidedFor: '2026-11-23T02:00:00.000Z' })
    expect(decision.checks).toContain('blacklist')
    const inbound = await cli(
      ['check-call', '--tenant', 'acme', '--inbound', '--caller', '+8613811112222', '--callee', '4001234567'],
      cwd,
    )
    expect(inbound.code).toBe(2)
    expect(inbound.stdout).toMatch(/^reason: ERR_POLICY_BLACKLISTED /m)
  })

  it('check-call explains a calling-hours denial: rule, citation, local time, next allowed time', async () => {
    const late = await cli(
      [
        'check-call',
        '--tenant',
        'acme',
        '--callee',
        '+8613811112222',
        '--purpose',
        'marketing',
        '--at',
        '2026-11-23T22:00:00+08:00',
      ],
      cwd,
    )
    expect(late.code).toBe(2)
    expect(late.stdout).toMatch(/^reason: ERR_POLICY_OUTSIDE_CALLING_HOURS \[callingHours\] /m)
    expect(late.stdout).toMatch(/^ {2}citation: \S/m)
    expect(late.stdout).toContain('Asia/Shanghai')
    expect(late.stdout).toContain('2026-11-23T22:00')
    expect(late.stdout).toMatch(/^next allowed: 2026-11-24T01:00:00\.000Z$/m)
    expect(late.stdout).not.toContain('13811112222')
  })

  it('check-call refuses an instant without an offset or on a date that does not exist, and an unknown purpose', async () => {
    const wall = await cli(
      ['check-call', '--tenant', 'acme', '--callee', '+8613811112222', '--at', '2026-11-23T10:00'],
      cwd,
    )
    expect(wall.code).toBe(1)
    expect(wall.stderr).toMatch(/^ERR_CONFIG_INVALID: --at /)
    // A date that does not exist is refused, not rolled over to 2 March.
    const impossible = await cli(
      ['check-call', '--tenant', 'acme', '--callee', '+8613811112222', '--at', '2026-02-30T10:00:00+08:00'],
      cwd,
    )
    expect(impossible.code).toBe(1)
    expect(impossible.stderr).toMatch(/^ERR_CONFIG_INVALID: --at /)
    const purpose = await cli(
      ['check-call', '--tenant', 'acme', '--callee', '+8613811112222', '--purpose', 'spam'],
      cwd,
    )
    expect(purpose.stderr).toMatch(/^ERR_CONFIG_INVALID: --purpose must be one of /)
  })
})
