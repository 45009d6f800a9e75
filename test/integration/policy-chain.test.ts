/**
 * The standard outbound chain as the public contract describes it, on both stacks:
 * `cw.pipeline.outbound.run({ tenantId, callee, purpose, at })` → `{ verdict, reasons,
 * nextAllowedAt? }`, with every policy check wired in by `createCallwarden()` from its
 * configuration (a DNC list file, calling hours, consent, the rule packs' statutory caps),
 * and no number in any reason.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock, createCallwarden, type Callwarden } from '../../src/index.js'
import { CALLWARDEN_STACKS } from './stacks.js'

const AGENT = { id: 'agent-7', role: 'agent' } as const
/** Monday 2026-11-23, 14:00 in New York: inside the US calling hours. */
const DAY = '2026-11-23T19:00:00Z'

for (const stack of CALLWARDEN_STACKS) {
  describe(`the standard outbound chain on ${stack.name}`, () => {
    let dir: string
    let cw: Callwarden
    let dispose: () => Promise<void>
    const clock = new ManualClock(new Date(DAY))

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cw-chain-'))
      const opened = await stack.open(dir)
      dispose = opened.dispose
      const dncFile = join(dir, 'national-dnc.txt')
      await writeFile(dncFile, '+12125550100\n2125550101\nnot a number\n')
      cw = await createCallwarden(
        {
          ...opened.config,
          policy: {
            dnc: { lists: [{ name: 'us-national', file: dncFile, region: 'US' }] },
            burst: { callsPerSecond: 1000 },
            // Above Florida's statutory cap, so that the statute's cap is the one that bites.
            attemptCaps: { perDay: 10, perWeek: 20 },
          },
        },
        { loadEnvironment: false, clock },
      )
      await cw.tenants.create({ id: 'usco', name: 'US Co', protectionMode: 'none', defaultRegion: 'US' })
      await cw.tenants.create({ id: 'other', name: 'Other', protectionMode: 'none', defaultRegion: 'US' })
    })

    afterAll(async () => {
      await cw?.close()
      await dispose?.()
      await rm(dir, { recursive: true, force: true })
    })

    const run = (
      callee: string,
      purpose: 'marketing' | 'service' | 'callback',
      at = DAY,
      tenantId = 'usco',
    ) => cw.pipeline.outbound.run({ tenantId, callee, purpose, at })

    it('loads configured DNC lists at start-up and denies listed callees for every tenant', async () => {
      expect(cw.policy.dnc.lists().map((l) => ({ list: l.list, size: l.size }))).toEqual([
        { list: 'us-national', size: 2 },
      ])
      for (const tenantId of ['usco', 'other']) {
        const decision = await run('+12125550101', 'service', DAY, tenantId)
        expect(decision.verdict).toBe('deny')
        expect(decision.reasons.at(-1)).toMatchObject({
          code: 'ERR_POLICY_DNC',
          details: { list: 'us-national', scope: 'global' },
        })
      }
      // A tenant's own list applies to that tenant only.
      await cw.policy.dnc.load({ list: 'internal', tenantId: 'usco', source: ['+12125550102'] })
      expect((await run('+12125550102', 'service')).reasons.at(-1)?.code).toBe('ERR_POLICY_DNC')
      expect((await run('+12125550102', 'service', DAY, 'other')).verdict).toBe('allow')
    })

    it('denies outside calling hours with the rule, its citation, local times and the next allowed time', async () => {
      // 21:30 in Miami on a Monday: Florida's 20:00 end applies to marketing.
      const decision = await run('+13055550123', 'marketing', '2026-11-24T02:30:00Z')
      expect(decision.verdict).toBe('deny')
      const reason = decision.reasons.at(-1)!
      expect(reason.code).toBe('ERR_POLICY_OUTSIDE_CALLING_HOURS')
      expect(reason.details).toMatchObject({
        localTimes: [{ zone: 'America/New_York', local: '2026-11-23T21:30' }],
        nextAllowedAt: '2026-11-24T13:00:00.000Z',
      })
      expect(String(reason.details?.citation)).toMatch(/\S/)
      expect(decision.nextAllowedAt).toEqual(new Date('2026-11-24T13:00:00.000Z'))
      // A callback the customer asked for is not bound by the solicitation hours.
      expect((await run('+13055550123', 'callback', '2026-11-24T02:30:00Z')).verdict).toBe('allow')
    })

    it('needs a live consent for marketing calls; revocation takes effect at once', async () => {
      const number = '+14155550123'
      expect((await run(number, 'marketing')).reasons.at(-1)).toMatchObject({
        code: 'ERR_POLICY_NO_CONSENT',
        details: { purpose: 'marketing', state: 'none' },
      })
      const granted = await cw.policy.consent.grant({
        tenantId: 'usco',
        number,
        purpose: 'marketing',
        channel: 'web',
        source: 'signup-form',
        evidenceRef: 'form:123',
        by: AGENT,
      })
      const allowed = await cw.pipeline.outbound.run(
        { tenantId: 'usco', callee: number, purpose: 'marketing', at: DAY },
        { dryRun: true },
      )
      expect(allowed.verdict).toBe('allow')
      expect(allowed.reasons).toContainEqual(expect.objectContaining({ details: { consentId: granted.id } }))
      await cw.policy.consent.revoke({ tenantId: 'usco', id: granted.id }, AGENT)
      expect((await run(number, 'marketing')).reasons.at(-1)).toMatchObject({
        code: 'ERR_POLICY_NO_CONSENT',
        details: { state: 'revoked' },
      })
    })

    it("applies a state's statutory cap from the rule pack (Florida: 3 marketing calls in 24 hours)", async () => {
      const number = '+13055550199'
      await cw.policy.consent.grant({
        tenantId: 'usco',
        number,
        purpose: 'marketing',
        channel: 'phone',
        source: 'inbound-call',
        evidenceRef: 'recording:call-9',
        by: AGENT,
      })
      const verdicts = []
      for (let i = 0; i < 4; i += 1) {
        clock.advance(60_000)
        verdicts.push(await run(number, 'marketing', clock.now().toISOString()))
      }
      expect(verdicts.map((d) => d.verdict)).toEqual(['allow', 'allow', 'allow', 'deny'])
      const capped = verdicts[3]!
      expect(capped.reasons.at(-1)).toMatchObject({
        code: 'ERR_POLICY_ATTEMPT_CAP',
        details: { cap: 'us-fl-telemarketing', max: 3, count: 3, windowHours: 24 },
      })
      expect(capped.nextAllowedAt).toEqual(new Date(Date.parse(DAY) + 60_000 + 24 * 3_600_000))
      // A what-if run after the cap records nothing and still says when.
      const whatIf = await cw.pipeline.outbound.run(
        { tenantId: 'usco', callee: number, purpose: 'marketing', at: clock.now() },
        { dryRun: true },
      )
      expect(whatIf.nextAllowedAt).toEqual(capped.nextAllowedAt)
    })

    it('never puts the callee number in a reason', async () => {
      const decisions = [
        await run('+12125550100', 'service'),
        await run('+13055550123', 'marketing', '2026-11-24T02:30:00Z'),
        await run('+14155550123', 'marketing'),
      ]
      for (const decision of decisions) {
        const text = JSON.stringify(decision.reasons)
        for (const digits of ['2125550100', '3055550123', '4155550123']) expect(text).not.toContain(digits)
      }
    })
  })
}
