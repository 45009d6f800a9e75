/**
 * Each standard chain accepts only its own event type, and every policy check judges the
 * party its chain names (outbound: the callee; inbound: the caller), whatever other fields
 * the event carries. On both stacks.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock, createCallwarden, type Callwarden } from '../../src/index.js'
import { CALLWARDEN_STACKS } from './stacks.js'

const ADMIN = { id: 'admin-1', role: 'admin' } as const
/** Monday 2026-11-23, 14:00 in New York: inside the US calling hours. */
const DAY = '2026-11-23T19:00:00Z'
/** 21:30 in Miami, 18:30 in San Francisco. */
const EVENING = '2026-11-24T02:30:00Z'
/** A number no list holds and no check refuses. */
const CLEAN = '+14155550123'

for (const stack of CALLWARDEN_STACKS) {
  describe(`the party each check judges on ${stack.name}`, () => {
    let dir: string
    let cw: Callwarden
    let dispose: () => Promise<void>
    const clock = new ManualClock(new Date(DAY))

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cw-parties-'))
      const opened = await stack.open(dir)
      dispose = opened.dispose
      const dncFile = join(dir, 'national-dnc.txt')
      await writeFile(dncFile, '+12125550101\n')
      cw = await createCallwarden(
        {
          ...opened.config,
          policy: {
            dnc: { lists: [{ name: 'us-national', file: dncFile, region: 'US' }] },
            burst: { callsPerSecond: 1000 },
            attemptCaps: { perDay: 1, perWeek: 20 },
          },
        },
        { loadEnvironment: false, clock },
      )
      await cw.tenants.create({ id: 'usco', name: 'US Co', protectionMode: 'none', defaultRegion: 'US' })
    })

    afterAll(async () => {
      await cw?.close()
      await dispose?.()
      await rm(dir, { recursive: true, force: true })
    })

    const attempts = (number: string) =>
      cw.policy.attempts.count({ tenantId: 'usco', number, at: clock.now(), windowHours: 24 })
    /** An event of another type than the chain's, as parsed JSON would hand it over. */
    const posing = (event: Record<string, unknown>) => event as never

    it('the outbound chain refuses an event posing as inbound, and counts no attempt', async () => {
      const blocked = '+12015550177'
      await cw.policy.blacklist.add({ tenantId: 'usco', number: blocked, by: ADMIN })
      const decision = await cw.pipeline.outbound.run(
        posing({ type: 'inbound', tenantId: 'usco', caller: CLEAN, callee: blocked, at: DAY }),
      )
      expect(decision.verdict).toBe('deny')
      expect(decision.reasons).toEqual([
        expect.objectContaining({ code: 'ERR_EVENT_INVALID', details: { field: 'type' } }),
      ])
      expect(decision.trace).toEqual([])
      expect(await attempts(blocked)).toBe(0)
      expect(await attempts(CLEAN)).toBe(0)
    })

    it('every other chain refuses events of another type', async () => {
      const inboundLike = {
        type: 'inbound',
        tenantId: 'usco',
        caller: CLEAN,
        callee: '+12015550100',
        at: DAY,
      }
      const outboundLike = { type: 'outbound', tenantId: 'usco', callee: CLEAN, at: DAY }
      const chains = cw.pipeline
      const decisions = [
        await chains.inbound.run(posing(outboundLike)),
        await chains.agentView.run(posing(inboundLike)),
        await chains.ivrInput.run(posing(inboundLike)),
        await chains.callEnded.run(posing(inboundLike)),
        await chains.recordingReady.run(posing(inboundLike)),
      ]
      for (const decision of decisions) {
        expect(decision.verdict).toBe('deny')
        expect(decision.reasons[0]).toMatchObject({ code: 'ERR_EVENT_INVALID', details: { field: 'type' } })
      }
    })

    it('outbound blacklist: the callee is judged, not the caller', async () => {
      const blockedCallee = '+12015550178'
      const blockedCaller = '+12015550179'
      await cw.policy.blacklist.add({ tenantId: 'usco', number: blockedCallee, by: ADMIN })
      await cw.policy.blacklist.add({ tenantId: 'usco', number: blockedCaller, by: ADMIN })
      const denied = await cw.pipeline.outbound.run(
        { tenantId: 'usco', caller: CLEAN, callee: blockedCallee, purpose: 'service', at: DAY },
        { dryRun: true },
      )
      expect(denied.reasons.at(-1)?.code).toBe('ERR_POLICY_BLACKLISTED')
      const allowed = await cw.pipeline.outbound.run(
        { tenantId: 'usco', caller: blockedCaller, callee: CLEAN, purpose: 'service', at: DAY },
        { dryRun: true },
      )
      expect(allowed.verdict).toBe('allow')
    })

    it('inbound blacklist: the caller is judged, not the number dialled', async () => {
      const blocked = '+12015550180'
      await cw.policy.blacklist.add({ tenantId: 'usco', number: blocked, by: ADMIN })
      const denied = await cw.pipeline.inbound.run({
        tenantId: 'usco',
        caller: blocked,
        callee: CLEAN,
        at: DAY,
      })
      expect(denied.reasons.at(-1)?.code).toBe('ERR_POLICY_BLACKLISTED')
      const allowed = await cw.pipeline.inbound.run({
        tenantId: 'usco',
        caller: CLEAN,
        callee: blocked,
        at: DAY,
      })
      expect(allowed.verdict).toBe('allow')
    })

    it('number checks, DNC and calling hours judge the callee whatever the caller is', async () => {
      const run = (callee: string, caller: string, at = DAY) =>
        cw.pipeline.outbound.run(
          { tenantId: 'usco', caller, callee, purpose: 'service', at },
          { dryRun: true },
        )
      expect((await run('911', CLEAN)).reasons.at(-1)?.code).toBe('ERR_POLICY_NUMBER_NOT_ALLOWED')
      expect((await run(CLEAN, '911')).verdict).toBe('allow')
      expect((await run('+12125550101', CLEAN)).reasons.at(-1)?.code).toBe('ERR_POLICY_DNC')
      expect((await run(CLEAN, '+12125550101')).verdict).toBe('allow')
      // 21:30 in Miami, 18:30 in San Francisco: outside the hours for the callee only.
      const late = await run('+13055550123', CLEAN, EVENING)
      expect(late.reasons.at(-1)?.code).toBe('ERR_POLICY_OUTSIDE_CALLING_HOURS')
      expect(late.reasons.at(-1)?.details).toMatchObject({ zones: ['America/New_York'] })
      expect((await run(CLEAN, '+13055550123', EVENING)).verdict).toBe('allow')
    })

    it('consent is looked up for the callee, not the caller', async () => {
      const consented = '+14155550124'
      await cw.policy.consent.grant({
        tenantId: 'usco',
        number: consented,
        purpose: 'marketing',
        channel: 'web',
        source: 'signup-form',
        evidenceRef: 'form:1',
        by: ADMIN,
      })
      const run = (callee: string, caller: string) =>
        cw.pipeline.outbound.run(
          { tenantId: 'usco', caller, callee, purpose: 'marketing', at: DAY },
          { dryRun: true },
        )
      expect((await run(CLEAN, consented)).reasons.at(-1)).toMatchObject({
        code: 'ERR_POLICY_NO_CONSENT',
        details: { state: 'none' },
      })
      expect((await run(consented, CLEAN)).verdict).toBe('allow')
    })

    it('attempts are counted and capped on the callee, not the caller', async () => {
      const callee = '+14155550125'
      const caller = '+14155550126'
      const call = () =>
        cw.pipeline.outbound.run({ tenantId: 'usco', caller, callee, purpose: 'service', at: DAY })
      expect((await call()).verdict).toBe('allow')
      expect(await attempts(callee)).toBe(1)
      expect(await attempts(caller)).toBe(0)
      expect((await call()).reasons.at(-1)?.code).toBe('ERR_POLICY_ATTEMPT_CAP')
      // The caller's own number is still callable.
      const back = await cw.pipeline.outbound.run({
        tenantId: 'usco',
        caller: callee,
        callee: caller,
        purpose: 'service',
        at: DAY,
      })
      expect(back.verdict).toBe('allow')
    })
  })
}
