/**
 * The blacklist and number checks as `createCallwarden()` assembles them, on both stacks:
 * add / remove / expiry / prefixes / by call id, CSV import and export, tenant isolation,
 * audit events, the standard chains' denials, and failing closed.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock, createCallwarden, type Callwarden } from '../../src/index.js'
import type { InboundCall, OutboundCall } from '../../src/pipeline/call-events.js'
import { POLICY_TENANT_TABLE_RULES } from '../../src/policy/policy-tables.js'
import { TenantGuardPlugin } from '../../src/store/tenant-guard-plugin.js'
import { CALLWARDEN_STACKS } from './stacks.js'

const ADMIN = { id: 'admin-1', role: 'admin' } as const
const AGENT = { id: 'agent-7', role: 'agent' } as const
const AUDITOR = { id: 'auditor-1', role: 'auditor' } as const

const callId = (): string => `call-${randomBytes(4).toString('hex')}`
const outbound = (tenantId: string, callee: string): OutboundCall => ({
  type: 'outbound',
  tenantId,
  callId: callId(),
  callee,
})
const inbound = (tenantId: string, caller: string): InboundCall => ({
  type: 'inbound',
  tenantId,
  callId: callId(),
  caller,
  callee: '4001234567',
})

for (const stack of CALLWARDEN_STACKS) {
  describe(`policy blacklist on ${stack.name}`, () => {
    let dir: string
    let cw: Callwarden
    let dispose: () => Promise<void>
    let config: Parameters<typeof createCallwarden>[0]
    const clock = new ManualClock(new Date('2030-03-01T08:00:00Z'))

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cw-policy-'))
      const opened = await stack.open(dir)
      dispose = opened.dispose
      config = opened.config
      cw = await createCallwarden(config, { loadEnvironment: false, clock })
      await cw.tenants.create({ id: 'acme', name: 'ACME', protectionMode: 'mask' })
      await cw.tenants.create({ id: 'other', name: 'Other', protectionMode: 'mask' })
      await cw.tenants.create({ id: 'usco', name: 'US Co', protectionMode: 'none', defaultRegion: 'US' })
      await cw.tenants.create({ id: 'copy', name: 'Copy', protectionMode: 'mask' })
    })

    afterAll(async () => {
      await cw?.close()
      await dispose?.()
      await rm(dir, { recursive: true, force: true })
    })

    it('migrates core/0003_policy', () => {
      expect(cw.migrations.applied).toContain('core/0003_policy')
    })

    it('adds an entry; inbound and outbound chains deny with ERR_POLICY_BLACKLISTED; remove lifts it', async () => {
      const number = '+8613911112222'
      expect((await cw.pipeline.inbound.run(inbound('acme', number))).verdict).toBe('allow')
      const added = await cw.policy.blacklist.add({
        tenantId: 'acme',
        number: '139 1111 2222',
        reason: 'harassment',
        by: AGENT,
      })
      expect(added).toMatchObject({ result: 'inserted', kind: 'exact', direction: 'both' })
      const denied = await cw.pipeline.inbound.run(inbound('acme', '008613911112222'))
      expect(denied.verdict).toBe('deny')
      expect(denied.reasons.at(-1)).toMatchObject({
        code: 'ERR_POLICY_BLACKLISTED',
        middleware: 'blacklist',
        details: {
          entryId: added.id,
          direction: 'both',
          kind: 'exact',
          reason: 'harassment',
          expiresAt: null,
        },
      })
      expect(JSON.stringify(denied.reasons)).not.toContain('13911112222')
      const out = await cw.pipeline.outbound.run(outbound('acme', number))
      expect(out.reasons.at(-1)?.code).toBe('ERR_POLICY_BLACKLISTED')
      // The same number is not blacklisted for another tenant.
      expect((await cw.pipeline.inbound.run(inbound('other', number))).verdict).toBe('allow')

      await expect(
        cw.policy.blacklist.remove({ tenantId: 'acme', id: added.id, by: AGENT }),
      ).rejects.toMatchObject({
        code: 'ERR_ROLE_FORBIDDEN',
      })
      await cw.policy.blacklist.remove({ tenantId: 'acme', id: added.id, by: ADMIN })
      expect((await cw.pipeline.inbound.run(inbound('acme', number))).verdict).toBe('allow')
      await expect(
        cw.policy.blacklist.remove({ tenantId: 'acme', id: added.id, by: ADMIN }),
      ).rejects.toMatchObject({
        code: 'ERR_BLACKLIST_ENTRY_NOT_FOUND',
      })
    })

    it('honours direction, and adding the same number again updates or leaves it unchanged', async () => {
      const number = '+8613933334444'
      const first = await cw.policy.blacklist.add({
        tenantId: 'acme',
        number,
        direction: 'inbound',
        by: ADMIN,
      })
      expect((await cw.pipeline.inbound.run(inbound('acme', number))).verdict).toBe('deny')
      expect((await cw.pipeline.outbound.run(outbound('acme', number))).verdict).toBe('allow')
      expect(
        await cw.policy.blacklist.add({ tenantId: 'acme', number, direction: 'inbound', by: ADMIN }),
      ).toMatchObject({ id: first.id, result: 'unchanged' })
      expect(
        await cw.policy.blacklist.add({ tenantId: 'acme', number, direction: 'outbound', by: ADMIN }),
      ).toMatchObject({ id: first.id, result: 'updated' })
      expect((await cw.pipeline.inbound.run(inbound('acme', number))).verdict).toBe('allow')
      expect((await cw.pipeline.outbound.run(outbound('acme', number))).verdict).toBe('deny')
    })

    it('expired entries do not match (clock-based)', async () => {
      const number = '+8613955556666'
      const entry = await cw.policy.blacklist.add({
        tenantId: 'acme',
        number,
        expiresAt: new Date(clock.now().getTime() + 3_600_000),
        by: ADMIN,
      })
      const denied = await cw.pipeline.outbound.run(outbound('acme', number))
      expect(denied.reasons.at(-1)?.details).toMatchObject({
        entryId: entry.id,
        expiresAt: '2030-03-01T09:00:00.000Z',
      })
      clock.advance(3_600_000)
      try {
        expect((await cw.pipeline.outbound.run(outbound('acme', number))).verdict).toBe('allow')
        const page = await cw.policy.blacklist.list({ tenantId: 'acme', viewer: ADMIN, includeExpired: true })
        expect(page.entries.find((e) => e.id === entry.id)).toMatchObject({ expired: true })
        await expect(
          cw.policy.blacklist.add({ tenantId: 'acme', number, expiresAt: '2020-01-01T00:00:00Z', by: ADMIN }),
        ).rejects.toMatchObject({ code: 'ERR_BLACKLIST_ENTRY_INVALID', field: 'expiresAt' })
      } finally {
        clock.set(new Date('2030-03-01T08:00:00Z'))
      }
    })

    it('prefix entries match by the longest prefix; exact entries win', async () => {
      const wide = await cw.policy.blacklist.add({
        tenantId: 'usco',
        number: '+1201*',
        reason: 'wide',
        by: ADMIN,
      })
      const narrow = await cw.policy.blacklist.add({
        tenantId: 'usco',
        number: '001 201 555*',
        reason: 'narrow',
        by: ADMIN,
      })
      expect(narrow.kind).toBe('prefix')
      const reasonOf = async (to: string) =>
        (await cw.pipeline.outbound.run(outbound('usco', to))).reasons.at(-1)
      expect(await reasonOf('2015550123')).toMatchObject({ details: { entryId: narrow.id, kind: 'prefix' } })
      expect(await reasonOf('+12014441234')).toMatchObject({ details: { entryId: wide.id, kind: 'prefix' } })
      const exact = await cw.policy.blacklist.add({ tenantId: 'usco', number: '+12015550123', by: ADMIN })
      expect(await reasonOf('+12015550123')).toMatchObject({ details: { entryId: exact.id, kind: 'exact' } })
      // Noon in New York: inside the US calling hours (the test clock is at 03:00 there).
      const noon = { ...outbound('usco', '+12125550123'), at: '2030-03-01T17:00:00Z' }
      expect((await cw.pipeline.outbound.run(noon)).verdict).toBe('allow')
      await expect(
        cw.policy.blacklist.add({ tenantId: 'usco', number: '201*', by: ADMIN }),
      ).rejects.toMatchObject({
        code: 'ERR_BLACKLIST_ENTRY_INVALID',
      })
    })

    it('blacklists the customer of a call by call id without exposing the number', async () => {
      const inboundCall = callId()
      const outboundCall = callId()
      await cw.scope('acme').insert('service_records', [
        {
          call_id: inboundCall,
          started_at: clock.now().getTime() - 60_000,
          direction: 'inbound',
          caller: '008613977778888',
          callee: '4001234567',
          access_status: 'normal_end',
        },
        {
          call_id: outboundCall,
          started_at: clock.now().getTime() - 30_000,
          direction: 'outbound',
          caller: '4001234567',
          callee: '+8613966667777',
          access_status: 'no_answer',
        },
      ])
      const change = await cw.policy.blacklist.addByCallId({
        tenantId: 'acme',
        callId: inboundCall,
        by: AGENT,
      })
      expect(JSON.stringify(change)).not.toContain('13977778888')
      expect((await cw.pipeline.inbound.run(inbound('acme', '+8613977778888'))).verdict).toBe('deny')
      await cw.policy.blacklist.addByCallId({
        tenantId: 'acme',
        callId: outboundCall,
        direction: 'outbound',
        by: AGENT,
      })
      expect((await cw.pipeline.outbound.run(outbound('acme', '13966667777'))).verdict).toBe('deny')

      // The agent's list shows the masked number and the call it came from.
      const page = await cw.policy.blacklist.list({ tenantId: 'acme', viewer: AGENT })
      const entry = page.entries.find((e) => e.id === change.id)
      expect(entry).toMatchObject({ number: '139****8888', numberView: 'masked', sourceCallId: inboundCall })
      expect(JSON.stringify(page)).not.toContain('13977778888')
      const auditorPage = await cw.policy.blacklist.list({ tenantId: 'acme', viewer: AUDITOR })
      expect(JSON.stringify(auditorPage)).not.toContain('13977778888')
      const adminPage = await cw.policy.blacklist.list({ tenantId: 'acme', viewer: ADMIN })
      expect(adminPage.entries.find((e) => e.id === change.id)).toMatchObject({
        number: '+8613977778888',
        numberView: 'real',
      })

      await expect(
        cw.policy.blacklist.addByCallId({ tenantId: 'acme', callId: 'no-such-call', by: AGENT }),
      ).rejects.toMatchObject({ code: 'ERR_CALL_NOT_FOUND' })
      // Another tenant cannot reach this tenant's call.
      await expect(
        cw.policy.blacklist.addByCallId({ tenantId: 'other', callId: inboundCall, by: AGENT }),
      ).rejects.toMatchObject({ code: 'ERR_CALL_NOT_FOUND' })
      await expect(
        cw.policy.blacklist.addByCallId({ tenantId: 'acme', callId: inboundCall, by: AUDITOR }),
      ).rejects.toMatchObject({ code: 'ERR_ROLE_FORBIDDEN' })
    })

    it('keeps tenants apart: another tenant cannot list or remove an entry, unscoped queries are refused', async () => {
      const entry = await cw.policy.blacklist.add({ tenantId: 'acme', number: '+8613900001111', by: ADMIN })
      await expect(
        cw.policy.blacklist.remove({ tenantId: 'other', id: entry.id, by: ADMIN }),
      ).rejects.toMatchObject({
        code: 'ERR_BLACKLIST_ENTRY_NOT_FOUND',
      })
      const others = await cw.policy.blacklist.list({
        tenantId: 'other',
        viewer: ADMIN,
        includeExpired: true,
      })
      expect(others.entries.map((e) => e.id)).not.toContain(entry.id)
      const guarded = cw.database.db.withPlugin(new TenantGuardPlugin({ rules: POLICY_TENANT_TABLE_RULES }))
      await expect(guarded.selectFrom('cw_blacklist').selectAll().execute()).rejects.toMatchObject({
        code: 'ERR_TENANT_SCOPE',
      })
      await expect(
        guarded.deleteFrom('cw_blacklist').where('id', '=', entry.id).execute(),
      ).rejects.toMatchObject({ code: 'ERR_TENANT_SCOPE' })
      const bound = cw.database.db.withPlugin(
        new TenantGuardPlugin({ rules: POLICY_TENANT_TABLE_RULES, tenantId: 'other' }),
      )
      await expect(
        bound.deleteFrom('cw_blacklist').where('tenant_id', '=', 'acme').where('id', '=', entry.id).execute(),
      ).rejects.toMatchObject({ code: 'ERR_TENANT_SCOPE' })
      expect((await cw.pipeline.outbound.run(outbound('acme', '+8613900001111'))).verdict).toBe('deny')
    })

    it('pages the list with a cursor', async () => {
      const seen = new Set<string>()
      let cursor: string | undefined
      for (;;) {
        const page = await cw.policy.blacklist.list({
          tenantId: 'acme',
          viewer: AUDITOR,
          limit: 2,
          ...(cursor === undefined ? {} : { cursor }),
        })
        for (const e of page.entries) seen.add(e.id)
        if (page.nextCursor === undefined) break
        cursor = page.nextCursor
      }
      const all = await cw.policy.blacklist.list({ tenantId: 'acme', viewer: AUDITOR, limit: 500 })
      expect([...seen]).toEqual(all.entries.map((e) => e.id))
      expect(seen.size).toBeGreaterThan(2)
    })

    it('imports CSV with a per-line report, idempotently, and exports it back', async () => {
      const csv = [
        'number,direction,reason,expires_at',
        '+8613811112222,inbound,"spam, repeated",',
        '+8613811113333,both,,2031-01-01T00:00:00Z',
        'not-a-number,both,,',
        '+8613811114444,sideways,,',
        '+852*,outbound,whole region,',
        '+8613811115555,both,,yesterday',
        '',
        '+8613811112222,outbound,duplicate,',
        '+8613811116666,both',
      ].join('\r\n')
      const report = await cw.policy.blacklist.importCsv({ tenantId: 'copy', csv, by: ADMIN, batchSize: 2 })
      expect(report).toMatchObject({ lines: 8, inserted: 3, updated: 0, unchanged: 0 })
      expect(report.errors.map((e) => [e.line, e.code])).toEqual([
        [4, 'ERR_BLACKLIST_ENTRY_INVALID'],
        [5, 'ERR_BLACKLIST_ENTRY_INVALID'],
        [7, 'ERR_BLACKLIST_ENTRY_INVALID'],
        [9, 'ERR_BLACKLIST_ENTRY_INVALID'],
        [10, 'ERR_BLACKLIST_ENTRY_INVALID'],
      ])
      expect(report.errors[1]?.message).toContain('inbound, outbound, both')
      expect(JSON.stringify(report)).not.toContain('13811114444')
      const again = await cw.policy.blacklist.importCsv({ tenantId: 'copy', csv, by: ADMIN })
      expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 3 })
      expect((await cw.pipeline.outbound.run(outbound('copy', '+85221234567'))).verdict).toBe('deny')

      const exported = await cw.policy.blacklist.exportCsv({ tenantId: 'copy', by: ADMIN })
      expect(exported.split('\n')[0]).toBe('number,direction,reason,expires_at')
      expect(exported).toContain('+852*,outbound,whole region,')
      expect(exported).toContain('"spam, repeated"')
      await expect(cw.policy.blacklist.exportCsv({ tenantId: 'copy', by: AGENT })).rejects.toMatchObject({
        code: 'ERR_ROLE_FORBIDDEN',
      })
      // Round trip: the export imports into another tenant as the same entries.
      const roundTrip = await cw.policy.blacklist.importCsv({ tenantId: 'other', csv: exported, by: ADMIN })
      expect(roundTrip).toMatchObject({ inserted: 3, errors: [] })
      expect(await cw.policy.blacklist.exportCsv({ tenantId: 'other', by: ADMIN })).toBe(exported)

      await expect(
        cw.policy.blacklist.importCsv({ tenantId: 'copy', csv: 'phone,why\n1,2\n', by: ADMIN }),
      ).rejects.toMatchObject({ code: 'ERR_BLACKLIST_ENTRY_INVALID' })
    })

    it('records every change as an audit event without the number, and the trail verifies', async () => {
      const page = await cw.audit.query({
        tenantId: 'acme',
        by: AUDITOR,
        action: ['blacklist.add', 'blacklist.remove'],
        limit: 1000,
      })
      expect(page.events.length).toBeGreaterThan(5)
      for (const event of page.events) expect(event.target.type).toBe('blacklist-entry')
      expect(page.events.some((e) => e.action === 'blacklist.remove')).toBe(true)
      expect(page.events.some((e) => e.details?.via === 'call')).toBe(true)
      expect(JSON.stringify(page.events)).not.toMatch(/139\d{8}/)
      for (const tenantId of ['acme', 'copy', 'usco', 'other']) {
        expect((await cw.audit.verify({ tenantId })).ok).toBe(true)
      }
    })

    it('another process sees a change within policy.listRefreshMs; this process at once', async () => {
      const other = await createCallwarden(
        { ...config, policy: { listRefreshMs: 200 } },
        { loadEnvironment: false, clock },
      )
      try {
        const number = '+8613944445555'
        // What-if runs: polling must not spend the tenant's call rate or attempts.
        const denied = async (c: Callwarden) =>
          (await c.pipeline.outbound.run(outbound('acme', number), { dryRun: true })).reasons.at(-1)?.code ===
          'ERR_POLICY_BLACKLISTED'
        expect(await denied(other)).toBe(false) // `other` now holds a copy without the entry
        const added = await cw.policy.blacklist.add({ tenantId: 'acme', number, by: ADMIN })
        expect(await denied(cw)).toBe(true) // the process that changed it: at once
        const seenAfter = Date.now()
        while (!(await denied(other))) {
          expect(Date.now() - seenAfter).toBeLessThan(10_000)
          await new Promise((resolve) => setTimeout(resolve, 25))
        }
        await cw.policy.blacklist.remove({ tenantId: 'acme', id: added.id, by: ADMIN })
        while (await denied(other)) await new Promise((resolve) => setTimeout(resolve, 25))
        // A tenant suspended elsewhere is refused here too once the copy is refreshed.
        await cw.tenants.setStatus('copy', 'suspended')
        const status = async () =>
          (await other.pipeline.outbound.run(outbound('copy', number), { dryRun: true })).reasons[0]?.code
        while ((await status()) !== 'ERR_TENANT_INACTIVE')
          await new Promise((resolve) => setTimeout(resolve, 25))
        await cw.tenants.setStatus('copy', 'active')
      } finally {
        await other.close()
      }
    })

    it('lets concurrent adds of the same new number all succeed, with one insert', async () => {
      const number = '+8613977770000'
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map(() =>
          cw.policy.blacklist.add({ tenantId: 'acme', number, by: ADMIN, reason: 'x' }),
        ),
      )
      expect(results.filter((r) => r.result === 'inserted')).toHaveLength(1)
      expect(new Set(results.map((r) => r.id)).size).toBe(1)
      await cw.policy.blacklist.remove({ tenantId: 'acme', id: results[0]!.id, by: ADMIN })
    })

    it('denies emergency, premium-rate and invalid numbers in the outbound chain', async () => {
      const ruleOf = async (tenantId: string, to: string) => {
        const decision = await cw.pipeline.outbound.run(outbound(tenantId, to))
        expect(decision.verdict).toBe('deny')
        expect(decision.reasons.at(-1)?.code).toBe('ERR_POLICY_NUMBER_NOT_ALLOWED')
        return decision.reasons.at(-1)?.details?.rule
      }
      expect(await ruleOf('acme', '110')).toBe('emergency')
      expect(await ruleOf('usco', '911')).toBe('emergency')
      expect(await ruleOf('acme', '+19005550123')).toBe('premium-rate')
      expect(await ruleOf('acme', '+33810123456')).toBe('shared-cost')
      expect(await ruleOf('acme', '+12000000000')).toBe('invalid')
      expect((await cw.pipeline.outbound.run(outbound('acme', '+8613988888888'))).verdict).toBe('allow')
    })
  })
}

describe('policy fails closed', () => {
  it('denies with ERR_POLICY_UNAVAILABLE when the blacklist cannot be read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cw-policy-closed-'))
    const cw = await createCallwarden(
      {
        databaseUrl: `sqlite:${join(dir, 'cw.db')}`,
        blobUrl: `file:${join(dir, 'blobs')}`,
        log: { level: 'silent' },
        audit: { signingKeyFile: join(dir, 'audit-key.json') },
        masking: { ivrHashSecretFile: join(dir, 'ivr-hash-secret') },
      },
      { loadEnvironment: false },
    )
    try {
      await cw.tenants.create({ id: 'acme', name: 'ACME' })
      const decisions = []
      // The blacklist table is gone (a broken store): the check cannot be evaluated.
      await cw.database.db.schema.dropTable('cw_blacklist').execute()
      decisions.push(await cw.pipeline.inbound.run(inbound('acme', '+8613988888888')))
      decisions.push(await cw.pipeline.outbound.run(outbound('acme', '+8613988888888')))
      for (const decision of decisions) {
        expect(decision.verdict).toBe('deny')
        expect(decision.reasons.at(-1)?.code).toBe('ERR_POLICY_UNAVAILABLE')
        expect(decision.reasons.at(-1)?.message).toContain("middleware 'blacklist' failed")
        expect(decision.failure?.middleware).toBe('blacklist')
      }
      // A closed database: whatever check fails first, the call is denied.
      await cw.database.close()
      const closed = await cw.pipeline.outbound.run(outbound('acme', '+8613988888888'))
      expect(closed.verdict).toBe('deny')
      expect(closed.reasons.at(-1)?.code).toBe('ERR_POLICY_UNAVAILABLE')
    } finally {
      await cw.close().catch(() => undefined)
      await rm(dir, { recursive: true, force: true })
    }
  })
})
