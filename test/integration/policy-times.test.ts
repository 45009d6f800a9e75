/**
 * Bad input to the policy and tenant surface is a coded error on both stacks. Every user-given
 * time that becomes an instant — a decision's `at`, blacklist and consent
 * expiries, CSV imports, burst windows, the ledgers' `at` — is read strictly: a date that does
 * not exist or a time without an offset is refused with a coded error, never rolled over. On
 * both stacks.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock, createCallwarden, type Callwarden } from '../../src/index.js'
import { CALLWARDEN_STACKS } from './stacks.js'

const ADMIN = { id: 'admin-1', role: 'admin' } as const
const DAY = '2026-11-23T19:00:00Z'
/** Times that name no instant: rolled-over dates, no offset, free text. */
const IMPOSSIBLE = [
  '2027-02-30T00:00:00Z',
  '2027-06-31T00:00:00Z',
  '2027-02-29T12:00:00+08:00',
  '2027-01-10T10:00:00',
]

for (const stack of CALLWARDEN_STACKS) {
  describe(`strict times on ${stack.name}`, () => {
    let dir: string
    let cw: Callwarden
    let dispose: () => Promise<void>

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cw-times-'))
      const opened = await stack.open(dir)
      dispose = opened.dispose
      cw = await createCallwarden(
        {
          ...opened.config,
        },
        { loadEnvironment: false, clock: new ManualClock(new Date(DAY)) },
      )
      await cw.tenants.create({ id: 'usco', name: 'US Co', protectionMode: 'none', defaultRegion: 'US' })
    })

    afterAll(async () => {
      await cw?.close()
      await dispose?.()
      await rm(dir, { recursive: true, force: true })
    })

    it.each(IMPOSSIBLE)('a decision at %s is denied with ERR_EVENT_INVALID', async (at) => {
      const decision = await cw.pipeline.outbound.run({
        tenantId: 'usco',
        callee: '+14155550123',
        purpose: 'service',
        at,
      })
      expect(decision.reasons[0]).toMatchObject({ code: 'ERR_EVENT_INVALID', details: { field: 'at' } })
    })

    it.each(IMPOSSIBLE)('expiries and windows at %s are refused, nothing written', async (time) => {
      await expect(
        cw.policy.blacklist.add({ tenantId: 'usco', number: '+12015550177', expiresAt: time, by: ADMIN }),
      ).rejects.toMatchObject({ code: 'ERR_BLACKLIST_ENTRY_INVALID', field: 'expiresAt' })
      await expect(
        cw.policy.consent.grant({
          tenantId: 'usco',
          number: '+14155550124',
          purpose: 'marketing',
          channel: 'web',
          source: 'signup-form',
          evidenceRef: 'form:1',
          expiresAt: time,
          by: ADMIN,
        }),
      ).rejects.toMatchObject({ code: 'ERR_CONSENT_INVALID', field: 'expiresAt' })
      await expect(
        cw.policy.rate.announceBurst({
          tenantId: 'usco',
          maxPerSecond: 10,
          from: DAY,
          until: time,
          by: ADMIN,
        }),
      ).rejects.toMatchObject({ code: 'ERR_BURST_ANNOUNCEMENT_INVALID' })
      await expect(
        cw.policy.consent.check({ tenantId: 'usco', number: '+14155550124', purpose: 'marketing', at: time }),
      ).rejects.toMatchObject({ code: 'ERR_TIME_INVALID', field: 'at' })
      await expect(
        cw.policy.attempts.count({ tenantId: 'usco', number: '+14155550124', at: time, windowHours: 24 }),
      ).rejects.toMatchObject({ code: 'ERR_TIME_INVALID' })
      expect((await cw.policy.blacklist.list({ tenantId: 'usco', viewer: ADMIN })).entries).toEqual([])
      expect(await cw.policy.rate.announcements('usco')).toEqual([])
    })

    it('a tenant without a name is ERR_TENANT_INVALID and is not created', async () => {
      await expect(cw.tenants.create({ id: 'noname' } as never)).rejects.toMatchObject({
        code: 'ERR_TENANT_INVALID',
      })
      expect(await cw.tenants.find('noname')).toBeUndefined()
    })

    it('a CSV import refuses each line with an impossible expiry and applies the rest', async () => {
      const csv = [
        'number,direction,reason,expires_at',
        '+12015550181,both,,2027-02-30T00:00:00Z',
        '+12015550182,both,,2027-06-31T00:00:00Z',
        '+12015550183,both,,2027-01-10T10:00:00',
        '+12015550184,both,,2027-01-10T10:00:00+08:00',
      ].join('\n')
      const report = await cw.policy.blacklist.importCsv({ tenantId: 'usco', csv, by: ADMIN })
      expect(report.errors.map((e) => [e.line, e.code])).toEqual([
        [2, 'ERR_BLACKLIST_ENTRY_INVALID'],
        [3, 'ERR_BLACKLIST_ENTRY_INVALID'],
        [4, 'ERR_BLACKLIST_ENTRY_INVALID'],
      ])
      const { entries } = await cw.policy.blacklist.list({ tenantId: 'usco', viewer: ADMIN })
      expect(entries.map((e) => e.expiresAt?.toISOString())).toEqual(['2027-01-10T02:00:00.000Z'])
    })
  })
}
