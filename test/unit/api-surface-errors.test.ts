/**
 * Over the public surface of `cw.tenants`, `cw.policy.*`, `cw.pipeline.*` and `openDatabase`:
 * bad data is a `CallwardenError` with its `ERR_*` code, caller misuse (a missing or
 * wrong-typed argument) a deliberate `TypeError` — never an error from deep inside (a raw
 * constraint error, "cannot read properties of null").
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CallwardenError, ManualClock, createCallwarden, type Callwarden } from '../../src/index.js'
import { openDatabase } from '../../src/store/database.js'

const ADMIN = { id: 'admin-1', role: 'admin' } as const
const DAY = '2026-11-23T19:00:00Z'
const NUMBER = '+14155550123'

let dir: string
let cw: Callwarden

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cw-surface-'))
  cw = await createCallwarden(
    {
      databaseUrl: `sqlite:${join(dir, 'cw.db')}`,
      blobUrl: `file:${join(dir, 'blobs')}`,
      log: { level: 'silent' },
      audit: { signingKeyFile: join(dir, 'audit-key.json') },
      masking: { ivrHashSecretFile: join(dir, 'ivr-hash-secret') },
    },
    { loadEnvironment: false, clock: new ManualClock(new Date(DAY)) },
  )
  await cw.tenants.create({ id: 'acme', name: 'ACME', protectionMode: 'none', defaultRegion: 'US' })
})

afterAll(async () => {
  await cw?.close()
  await rm(dir, { recursive: true, force: true })
})

type Case = readonly [string, () => unknown, string]

/** Bad data: each is refused with the code named. */
const BAD_DATA: readonly Case[] = [
  ['tenants.create without a name', () => cw.tenants.create({ id: 'noname' } as never), 'ERR_TENANT_INVALID'],
  [
    'tenants.create with an empty name',
    () => cw.tenants.create({ id: 'empty', name: ' ' }),
    'ERR_TENANT_INVALID',
  ],
  [
    'tenants.create with regions not a list',
    () => cw.tenants.create({ id: 'regions', name: 'R', allowedRegions: 'CN' as never }),
    'ERR_TENANT_INVALID',
  ],
  [
    'tenants.create with a bad retention preset',
    () => cw.tenants.create({ id: 'preset', name: 'P', retentionPreset: 'x'.repeat(41) }),
    'ERR_TENANT_INVALID',
  ],
  ['tenants.get with a malformed id', () => cw.tenants.get('ACME!'), 'ERR_TENANT_INVALID'],
  [
    'tenants.setStatus with an unknown status',
    () => cw.tenants.setStatus('acme', 'gone' as never),
    'ERR_TENANT_INVALID',
  ],
  [
    'consent.check at yesterday',
    () =>
      cw.policy.consent.check({ tenantId: 'acme', number: NUMBER, purpose: 'marketing', at: 'yesterday' }),
    'ERR_TIME_INVALID',
  ],
  [
    'consent.check with an unknown purpose',
    () => cw.policy.consent.check({ tenantId: 'acme', number: NUMBER, purpose: 'spam' as never }),
    'ERR_CONSENT_INVALID',
  ],
  [
    'consent.grant expiring on 2027-06-31',
    () =>
      cw.policy.consent.grant({
        tenantId: 'acme',
        number: NUMBER,
        purpose: 'marketing',
        channel: 'web',
        source: 'form',
        evidenceRef: 'form:1',
        expiresAt: '2027-06-31T00:00:00Z',
        by: ADMIN,
      }),
    'ERR_CONSENT_INVALID',
  ],
  [
    'blacklist.add with a malformed number',
    () => cw.policy.blacklist.add({ tenantId: 'acme', number: 'not a number', by: ADMIN }),
    'ERR_BLACKLIST_ENTRY_INVALID',
  ],
  [
    'blacklist.add for a malformed tenant',
    () => cw.policy.blacklist.add({ tenantId: 'ACME!', number: NUMBER, by: ADMIN }),
    'ERR_TENANT_INVALID',
  ],
  [
    'attempts.tryRecord at 2026-02-30',
    () =>
      cw.policy.attempts.tryRecord({
        tenantId: 'acme',
        number: NUMBER,
        at: '2026-02-30T00:00:00Z',
        caps: [],
      }),
    'ERR_TIME_INVALID',
  ],
  [
    'attempts.count at an invalid Date',
    () =>
      cw.policy.attempts.count({
        tenantId: 'acme',
        number: NUMBER,
        at: new Date(Number.NaN),
        windowHours: 24,
      }),
    'ERR_TIME_INVALID',
  ],
  [
    'rate.tryAcquire at a time without an offset',
    () => cw.policy.rate.tryAcquire({ tenantId: 'acme', at: '2026-11-23T10:00:00' }),
    'ERR_TIME_INVALID',
  ],
  [
    'rate.announceBurst until 2026-02-30',
    () =>
      cw.policy.rate.announceBurst({
        tenantId: 'acme',
        maxPerSecond: 10,
        from: DAY,
        until: '2026-02-30T00:00:00Z',
        by: ADMIN,
      }),
    'ERR_BURST_ANNOUNCEMENT_INVALID',
  ],
  [
    'openDatabase with an unusable SQLite path',
    () => openDatabase(`sqlite:${import.meta.dirname}`),
    'ERR_STORAGE_UNAVAILABLE',
  ],
  ['openDatabase with an unknown scheme', () => openDatabase('postgres://x/y'), 'ERR_CONFIG_INVALID'],
]

/** Caller misuse: each is a TypeError. */
const MISUSE: readonly (readonly [string, () => unknown])[] = [
  ['tenants.create(null)', () => cw.tenants.create(null as never)],
  ['tenants.find(42)', () => cw.tenants.find(42 as never)],
  [
    'pipeline.outbound.run(event, null)',
    () => cw.pipeline.outbound.run({ tenantId: 'acme', callee: NUMBER }, null as never),
  ],
  ['pipeline.outbound.run(null)', () => cw.pipeline.outbound.run(null as never)],
  ['pipeline.inbound.use(null)', () => cw.pipeline.inbound.use(null as never)],
  ['consent.check(null)', () => cw.policy.consent.check(null as never)],
  ['consent.grant(undefined)', () => cw.policy.consent.grant(undefined as never)],
  [
    'consent.check at {}',
    () =>
      cw.policy.consent.check({ tenantId: 'acme', number: NUMBER, purpose: 'marketing', at: {} as never }),
  ],
  ['blacklist.add(null)', () => cw.policy.blacklist.add(null as never)],
  ['blacklist.list(null)', () => cw.policy.blacklist.list(null as never)],
  ['blacklist.importCsv(null)', () => cw.policy.blacklist.importCsv(null as never)],
  ['attempts.tryRecord(null)', () => cw.policy.attempts.tryRecord(null as never)],
  ['attempts.count(null)', () => cw.policy.attempts.count(null as never)],
  ['rate.tryAcquire(null)', () => cw.policy.rate.tryAcquire(null as never)],
  ['rate.announceBurst(null)', () => cw.policy.rate.announceBurst(null as never)],
  ['openDatabase(undefined)', () => openDatabase(undefined as never)],
]

/** Runs `call`, sync or async, and returns what it threw. */
async function thrown(call: () => unknown): Promise<unknown> {
  try {
    await call()
  } catch (error) {
    return error
  }
  return undefined
}

describe('bad data is a coded error', () => {
  it.each(BAD_DATA)('%s', async (_name, call, code) => {
    const error = await thrown(call)
    expect(error).toBeInstanceOf(CallwardenError)
    expect(error).toMatchObject({ code })
  })
})

describe('caller misuse is a deliberate TypeError', () => {
  it.each(MISUSE)('%s', async (_name, call) => {
    const error = await thrown(call)
    expect(error).toBeInstanceOf(TypeError)
    // A deliberate TypeError says what was expected; a property read on null does not.
    expect(String((error as Error).message)).not.toMatch(
      /Cannot read properties|Cannot destructure|is not a function/,
    )
  })
})

it('a decision at a time that names no instant is a denial, not an error', async () => {
  const decision = await cw.pipeline.outbound.run({ tenantId: 'acme', callee: NUMBER, at: 'yesterday' })
  expect(decision.reasons[0]).toMatchObject({ code: 'ERR_EVENT_INVALID', details: { field: 'at' } })
})
