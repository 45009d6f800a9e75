/**
 * The consent ledger as `createCallwarden()` assembles it, on both stacks: grant / check /
 * revoke / expiry on the injected clock, history kept and viewed per role, tenant
 * isolation, audit events in the change's transaction, validation, and the outbound chain's
 * consent check.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ManualClock, createCallwarden, type Callwarden } from '../../src/index.js'
import type { OutboundCall, OutboundPurpose } from '../../src/pipeline/call-events.js'
import { ConsentService } from '../../src/policy/consent/consent-service.js'
import { CALLWARDEN_STACKS } from './stacks.js'

const ADMIN = { id: 'admin-1', role: 'admin' } as const
const AGENT = { id: 'agent-7', role: 'agent' } as const
const AUDITOR = { id: 'auditor-1', role: 'auditor' } as const
const START = new Date('2030-03-01T08:00:00Z')

const outbound = (tenantId: string, callee: string, purpose?: OutboundPurpose): OutboundCall => ({
  type: 'outbound',
  tenantId,
  callId: `call-${randomBytes(4).toString('hex')}`,
  callee,
  ...(purpose === undefined ? {} : { purpose }),
})

const grantOf = (tenantId: string, number: string, extra: Record<string, unknown> = {}) => ({
  tenantId,
  number,
  purpose: 'marketing' as const,
  channel: 'phone' as const,
  source: 'inbound-call',
  evidenceRef: 'recording:call-42',
  by: AGENT,
  ...extra,
})

for (const stack of CALLWARDEN_STACKS) {
  describe(`consent ledger on ${stack.name}`, () => {
    let dir: string
    let cw: Callwarden
    let dispose: () => Promise<void>
    const clock = new ManualClock(START)
    // Each test starts 10 s after the previous one, so the burst guard's one-second window
    // never carries calls from one test into the next.
    let now = START
    beforeEach(() => {
      now = new Date(now.getTime() + 10_000)
      clock.set(now)
    })

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cw-consent-'))
      const opened = await stack.open(dir)
      dispose = opened.dispose
      cw = await createCallwarden(
        {
          ...opened.config,
        },
        { loadEnvironment: false, clock },
      )
      await cw.tenants.create({ id: 'acme', name: 'ACME', protectionMode: 'mask' })
      await cw.tenants.create({ id: 'other', name: 'Other', protectionMode: 'mask' })
    })

    afterAll(async () => {
      await cw?.close()
      await dispose?.()
      await rm(dir, { recursive: true, force: true })
    })

    it('migrates core/0004_policy_ledgers', () => {
      expect(cw.migrations.applied).toContain('core/0004_policy_ledgers')
    })

    it('denies marketing without consent, allows service; a grant lets marketing through with CONSENT_FOUND', async () => {
      const number = '+8613911110001'
      const denied = await cw.pipeline.outbound.run(outbound('acme', number, 'marketing'))
      expect(denied.verdict).toBe('deny')
      expect(denied.reasons.at(-1)).toMatchObject({
        code: 'ERR_POLICY_NO_CONSENT',
        middleware: 'consent',
        details: { purpose: 'marketing', state: 'none' },
      })
      expect(JSON.stringify(denied.reasons)).not.toContain('13911110001')
      const service = await cw.pipeline.outbound.run(outbound('acme', number, 'service'))
      expect(service.verdict).toBe('allow')
      expect(service.reasons.map((r) => r.code)).not.toContain('CONSENT_FOUND')
      // A call without a purpose is not checked for consent by default.
      expect((await cw.pipeline.outbound.run(outbound('acme', number))).verdict).toBe('allow')

      const granted = await cw.policy.consent.grant(grantOf('acme', '139 1111 0001'))
      expect(granted).toMatchObject({
        id: expect.stringMatching(/^cs-/),
        purpose: 'marketing',
        channel: 'phone',
        source: 'inbound-call',
        evidenceRef: 'recording:call-42',
        grantedAt: now,
        grantedBy: { id: 'agent-7', role: 'agent' },
      })
      expect(JSON.stringify(granted)).not.toContain('13911110001')
      const allowed = await cw.pipeline.outbound.run(outbound('acme', number, 'marketing'))
      expect(allowed.verdict).toBe('allow')
      expect(allowed.reasons).toContainEqual(
        expect.objectContaining({ code: 'CONSENT_FOUND', details: { consentId: granted.id } }),
      )
      // Consent is per purpose.
      expect(
        await cw.policy.consent.check({ tenantId: 'acme', number, purpose: 'consultation', at: now }),
      ).toEqual({ live: false, state: 'none' })
    })

    it('revocation takes effect at once, whatever the decision instant; history keeps every row', async () => {
      const number = '+8613911110002'
      const first = await cw.policy.consent.grant(grantOf('acme', number))
      expect((await cw.pipeline.outbound.run(outbound('acme', number, 'marketing'))).verdict).toBe('allow')
      const revoked = await cw.policy.consent.revoke(
        { tenantId: 'acme', number: '008613911110002', purpose: 'marketing' },
        AGENT,
        'asked not to be called again, number 13911110002',
      )
      expect(revoked.revoked).toHaveLength(1)
      expect(revoked.revoked[0]).toMatchObject({
        id: first.id,
        revokedAt: now,
        revokedBy: { id: 'agent-7', role: 'agent' },
      })
      // The free-text reason is redacted before it is stored.
      expect(revoked.revoked[0]?.revokeReason).not.toContain('13911110002')
      const denied = await cw.pipeline.outbound.run({
        ...outbound('acme', number, 'marketing'),
        at: '2030-02-01T08:00:00Z',
      })
      expect(denied.reasons.at(-1)).toMatchObject({
        code: 'ERR_POLICY_NO_CONSENT',
        details: { purpose: 'marketing', state: 'revoked' },
      })
      // Revoking again changes nothing.
      expect(await cw.policy.consent.revoke({ tenantId: 'acme', id: first.id }, ADMIN)).toEqual({
        revoked: [],
      })

      clock.advance(60_000)
      try {
        const second = await cw.policy.consent.grant(
          grantOf('acme', number, { channel: 'web', source: 'web:form-7' }),
        )
        expect(second.id).not.toBe(first.id)
        expect((await cw.pipeline.outbound.run(outbound('acme', number, 'marketing'))).verdict).toBe('allow')
        const history = await cw.policy.consent.history({ tenantId: 'acme', number, viewer: ADMIN })
        expect(history.number).toBe(number)
        expect(history.consents.map((c) => [c.id, c.state])).toEqual([
          [second.id, 'live'],
          [first.id, 'revoked'],
        ])
        const byId = await cw.policy.consent.revoke({ tenantId: 'acme', id: second.id }, ADMIN)
        expect(byId.revoked.map((c) => c.id)).toEqual([second.id])
        expect(
          (await cw.policy.consent.history({ tenantId: 'acme', number, viewer: ADMIN })).consents.map(
            (c) => c.state,
          ),
        ).toEqual(['revoked', 'revoked'])
      } finally {
        clock.set(now)
      }
    })

    it('expires on the clock: live before expiresAt, state expired from then on', async () => {
      const number = '+8613911110003'
      const granted = await cw.policy.consent.grant(
        grantOf('acme', number, { expiresAt: new Date(now.getTime() + 3_600_000) }),
      )
      const expiry = now.getTime() + 3_600_000
      expect(granted.expiresAt?.getTime()).toBe(expiry)
      const at = (t: number) =>
        cw.policy.consent.check({ tenantId: 'acme', number, purpose: 'marketing', at: new Date(t) })
      expect(await at(expiry - 1)).toMatchObject({ live: true, consent: { id: granted.id } })
      expect(await at(expiry)).toEqual({ live: false, state: 'expired', latestId: granted.id })
      // The chain judges at the decision instant.
      const later = await cw.pipeline.outbound.run({
        ...outbound('acme', number, 'marketing'),
        at: new Date(expiry + 1_800_000).toISOString(),
      })
      expect(later.reasons.at(-1)).toMatchObject({ details: { state: 'expired' } })
      clock.advance(3_600_000)
      try {
        const denied = await cw.pipeline.outbound.run(outbound('acme', number, 'marketing'))
        expect(denied.reasons.at(-1)).toMatchObject({
          code: 'ERR_POLICY_NO_CONSENT',
          details: { state: 'expired' },
        })
        const history = await cw.policy.consent.history({ tenantId: 'acme', number, viewer: ADMIN })
        expect(history.consents.map((c) => c.state)).toEqual(['expired'])
      } finally {
        clock.set(now)
      }
    })

    it('shows history numbers per role: agents and auditors never get the real number', async () => {
      const number = '+8618912348352'
      await cw.policy.consent.grant(grantOf('acme', number))
      const agent = await cw.policy.consent.history({ tenantId: 'acme', number, viewer: AGENT })
      expect(agent).toMatchObject({ number: '189****8352', numberView: 'masked' })
      expect(agent.consents).toHaveLength(1)
      const auditor = await cw.policy.consent.history({ tenantId: 'acme', number, viewer: AUDITOR })
      expect(auditor.numberView).toBe('masked')
      const admin = await cw.policy.consent.history({ tenantId: 'acme', number, viewer: ADMIN })
      expect(admin).toMatchObject({ number, numberView: 'real' })
      expect(JSON.stringify(agent) + JSON.stringify(auditor)).not.toContain('18912348352')
    })

    it('keeps phone numbers out of source and evidence, and only phone numbers', async () => {
      const number = '+8613911110009'
      const evidence =
        'form at 2030-03-01T08:00:00Z, ts 20300301080000, call-back 0086 139 1111 0099, ' +
        'order ORD-20300301-0001, ¥1,280.00, ticket 4821907'
      const granted = await cw.policy.consent.grant(
        grantOf('acme', number, { source: 'callback:13911110099', evidenceRef: evidence }),
      )
      const kept = {
        source: 'callback:[PHONE]',
        evidenceRef:
          'form at 2030-03-01T08:00:00Z, ts 20300301080000, call-back [PHONE], ' +
          'order ORD-20300301-0001, ¥1,280.00, ticket 4821907',
      }
      expect(granted).toMatchObject(kept)
      for (const viewer of [AGENT, AUDITOR, ADMIN]) {
        const history = await cw.policy.consent.history({ tenantId: 'acme', number, viewer })
        expect(history.consents).toMatchObject([kept])
        expect(JSON.stringify(history.consents)).not.toMatch(/1391111009/)
      }
      const page = await cw.audit.query({
        tenantId: 'acme',
        by: AUDITOR,
        action: 'consent.grant',
        limit: 1000,
      })
      const event = page.events.find((e) => e.target.id === granted.id)
      expect(event?.details).toMatchObject(kept)
    })

    it('keeps tenants apart: another tenant cannot see, revoke or use a consent', async () => {
      const number = '+8613911110004'
      const granted = await cw.policy.consent.grant(grantOf('acme', number))
      expect(await cw.policy.consent.check({ tenantId: 'other', number, purpose: 'marketing' })).toEqual({
        live: false,
        state: 'none',
      })
      expect((await cw.pipeline.outbound.run(outbound('other', number, 'marketing'))).verdict).toBe('deny')
      await expect(
        cw.policy.consent.revoke({ tenantId: 'other', id: granted.id }, ADMIN),
      ).rejects.toMatchObject({
        code: 'ERR_CONSENT_NOT_FOUND',
      })
      expect(
        await cw.policy.consent.revoke({ tenantId: 'other', number, purpose: 'marketing' }, ADMIN),
      ).toEqual({
        revoked: [],
      })
      expect(
        (await cw.policy.consent.history({ tenantId: 'other', number, viewer: ADMIN })).consents,
      ).toEqual([])
      expect(await cw.policy.consent.check({ tenantId: 'acme', number, purpose: 'marketing' })).toMatchObject(
        {
          live: true,
        },
      )
    })

    it('refuses malformed grants with ERR_CONSENT_INVALID naming the field, and wrong roles', async () => {
      const number = '+8613911110005'
      const cases: [Record<string, unknown>, string][] = [
        [{ number: '12' }, 'number'],
        [{ purpose: 'spam' }, 'purpose'],
        [{ channel: 'telepathy' }, 'channel'],
        [{ source: '' }, 'source'],
        [{ source: 'line\nbreak' }, 'source'],
        [{ evidenceRef: '   ' }, 'evidenceRef'],
        [{ evidenceRef: 'x'.repeat(501) }, 'evidenceRef'],
        [{ expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
        [{ expiresAt: 'tomorrow' }, 'expiresAt'],
        [{ grantedAt: '2031-01-01T00:00:00Z' }, 'grantedAt'],
      ]
      for (const [extra, field] of cases) {
        const error = await cw.policy.consent
          .grant(grantOf('acme', number, extra) as never)
          .catch((e: unknown) => e)
        expect(error, field).toMatchObject({ code: 'ERR_CONSENT_INVALID', field })
        expect(String((error as Error).message)).toContain('allowed')
      }
      await expect(cw.policy.consent.grant(grantOf('acme', number, { by: AUDITOR }))).rejects.toMatchObject({
        code: 'ERR_ROLE_FORBIDDEN',
      })
      await expect(cw.policy.consent.revoke({ tenantId: 'acme', id: 'cs-x' }, AUDITOR)).rejects.toMatchObject(
        {
          code: 'ERR_ROLE_FORBIDDEN',
        },
      )
      await expect(
        cw.policy.consent.revoke({ tenantId: 'acme', number, purpose: 'spam' as never }, ADMIN),
      ).rejects.toMatchObject({ code: 'ERR_CONSENT_INVALID', field: 'purpose' })
      expect((await cw.policy.consent.history({ tenantId: 'acme', number, viewer: ADMIN })).consents).toEqual(
        [],
      )
    })

    it('writes nothing when the audit event cannot be written (one transaction)', async () => {
      const number = '+8613911110006'
      const failing = new ConsentService({
        db: cw.database.db,
        audit: {
          append: async () => {
            throw new Error('audit store down')
          },
        },
        clock,
        regionOf: () => 'CN',
        protector: cw.masking.protector,
      })
      await expect(failing.grant(grantOf('acme', number))).rejects.toThrow('audit store down')
      expect((await cw.policy.consent.history({ tenantId: 'acme', number, viewer: ADMIN })).consents).toEqual(
        [],
      )
      const granted = await cw.policy.consent.grant(grantOf('acme', number))
      await expect(failing.revoke({ tenantId: 'acme', id: granted.id }, ADMIN)).rejects.toThrow(
        'audit store down',
      )
      expect(await cw.policy.consent.check({ tenantId: 'acme', number, purpose: 'marketing' })).toMatchObject(
        {
          live: true,
          consent: { id: granted.id },
        },
      )
    })

    it('honours a per-tenant list of purposes that need consent', async () => {
      const { consent } = await import('../../src/policy/consent/consent-middleware.js')
      const { createPipeline } = await import('../../src/pipeline/pipeline.js')
      const chain = createPipeline<OutboundCall>({ clock }).use(
        consent({
          ledger: cw.policy.consent,
          requiredFor: (tenantId) => (tenantId === 'acme' ? ['marketing', 'callback', 'consultation'] : []),
          unspecifiedPurpose: 'marketing',
        }),
      )
      const number = '+8613911110007'
      expect((await chain.run(outbound('acme', number, 'callback'))).reasons.at(-1)).toMatchObject({
        code: 'ERR_POLICY_NO_CONSENT',
        details: { purpose: 'callback', state: 'none' },
      })
      expect((await chain.run(outbound('acme', number))).reasons.at(-1)).toMatchObject({
        details: { purpose: 'marketing' },
      })
      expect((await chain.run(outbound('acme', number, 'service'))).verdict).toBe('allow')
      expect((await chain.run(outbound('other', number, 'marketing'))).verdict).toBe('allow')
      await cw.policy.consent.grant(grantOf('acme', number, { purpose: 'callback', channel: 'ivr' }))
      expect((await chain.run(outbound('acme', number, 'callback'))).verdict).toBe('allow')
    })

    it('records grants and revocations as audit events without the number, and the trail verifies', async () => {
      const page = await cw.audit.query({
        tenantId: 'acme',
        by: AUDITOR,
        action: ['consent.grant', 'consent.revoke'],
        limit: 1000,
      })
      expect(page.events.filter((e) => e.action === 'consent.grant').length).toBeGreaterThanOrEqual(7)
      expect(page.events.filter((e) => e.action === 'consent.revoke').length).toBeGreaterThanOrEqual(2)
      for (const event of page.events) {
        expect(event.target).toMatchObject({ type: 'consent', id: expect.stringMatching(/^cs-/) })
      }
      expect(JSON.stringify(page.events)).not.toMatch(/139111100\d\d/)
      for (const tenantId of ['acme', 'other']) expect((await cw.audit.verify({ tenantId })).ok).toBe(true)
    })
  })
}
