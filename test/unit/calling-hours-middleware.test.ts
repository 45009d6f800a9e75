import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { parseNumber } from '../../src/masking/phone-number.js'
import { OUTBOUND_PURPOSES, type OutboundCall } from '../../src/pipeline/call-events.js'
import { createPipeline } from '../../src/pipeline/pipeline.js'
import { calleeLocale } from '../../src/policy/calling-hours/callee-locale.js'
import { CallingHoursEngine } from '../../src/policy/calling-hours/calling-hours-engine.js'
import { callingHours } from '../../src/policy/calling-hours/calling-hours-middleware.js'
import { parseCallingHoursOverrides } from '../../src/policy/calling-hours/calling-hours-overrides.js'
import { numberChecks } from '../../src/policy/number-checks/number-checks-middleware.js'

const engine = new CallingHoursEngine()

describe('callingHours() middleware', () => {
  const outbound = createPipeline<OutboundCall>({ eventType: 'outbound' })
    .use(numberChecks({ regionOf: () => 'US' }))
    .use(callingHours({ engine }))

  it('denies with ERR_POLICY_OUTSIDE_CALLING_HOURS, the rule, citation, local times and next allowed time', async () => {
    const decision = await outbound.run({
      tenantId: 'acme',
      callee: '+13055550123',
      purpose: 'marketing',
      at: '2026-06-01T00:30:00Z',
    })
    expect(decision.verdict).toBe('deny')
    expect(decision.reasons[0]).toMatchObject({
      code: 'ERR_POLICY_OUTSIDE_CALLING_HOURS',
      middleware: 'callingHours',
      details: {
        rule: 'us-fl-telemarketing',
        citation: expect.stringContaining('501.616'),
        reason: 'outside-hours',
        zones: ['America/New_York'],
        localTimes: [{ zone: 'America/New_York', local: '2026-05-31T20:30' }],
        nextAllowedAt: '2026-06-01T12:00:00.000Z',
        packVersion: '2026.11.0',
      },
    })
    expect(decision.nextAllowedAt?.toISOString()).toBe('2026-06-01T12:00:00.000Z')
  })

  it('never puts the number in the reasons', async () => {
    for (const callee of ['+13055550123', '3055550123', '(305) 555-0123']) {
      const decision = await outbound.run({ tenantId: 'acme', callee, at: '2026-06-01T00:30:00Z' })
      expect(decision.verdict).toBe('deny')
      const text = JSON.stringify(decision.reasons)
      expect(text).not.toContain('5550123')
      expect(text).not.toContain('555-0123')
    }
  })

  it('judges at the pipeline clock when the event has no time, and allows within the hours', async () => {
    const clock = new ManualClock(new Date('2026-06-01T16:00:00Z'))
    const chain = createPipeline<OutboundCall>({ eventType: 'outbound', clock }).use(
      callingHours({ engine, regionOf: () => 'US', noteAllowed: true }),
    )
    const allowed = await chain.run({ tenantId: 'acme', callee: '3055550123', purpose: 'service' })
    expect(allowed.verdict).toBe('allow')
    expect(allowed.reasons[0]).toMatchObject({
      code: 'CALLING_HOURS_OK',
      details: { packVersion: '2026.11.0', zones: ['America/New_York'] },
    })
    clock.set(new Date('2026-06-02T03:00:00Z')) // 23:00 EDT
    const denied = await chain.run({ tenantId: 'acme', callee: '3055550123', purpose: 'service' })
    expect(denied.verdict).toBe('deny')
    expect(denied.nextAllowedAt?.toISOString()).toBe('2026-06-02T12:00:00.000Z')
  })

  it('applies the tenant overrides it is given', async () => {
    const quiet = parseCallingHoursOverrides({ blackouts: [{ name: 'all-hands', date: '2026-06-01' }] })
    const chain = createPipeline<OutboundCall>({ eventType: 'outbound' }).use(
      callingHours({
        engine,
        regionOf: () => 'CN',
        overridesOf: async (tenant) => (tenant === 'acme' ? quiet : undefined),
      }),
    )
    const at = '2026-06-01T04:00:00Z' // 12:00 CST
    expect((await chain.run({ tenantId: 'acme', callee: '13988888888', at })).reasons[0]).toMatchObject({
      details: { rule: 'tenant.blackouts', holiday: 'all-hands', nextAllowedAt: '2026-06-02T01:00:00.000Z' },
    })
    expect((await chain.run({ tenantId: 'other', callee: '13988888888', at })).verdict).toBe('allow')
  })

  it('fails closed on a number it cannot read', async () => {
    const chain = createPipeline<OutboundCall>({ eventType: 'outbound' }).use(callingHours({ engine }))
    const decision = await chain.run({ tenantId: 'acme', callee: 'not a number', at: '2026-06-01T04:00:00Z' })
    expect(decision.reasons[0]).toMatchObject({
      code: 'ERR_POLICY_NUMBER_NOT_ALLOWED',
      details: { rule: 'invalid' },
    })
  })

  it('needs an engine', () => {
    expect(() => callingHours({} as never)).toThrow(TypeError)
  })
})

describe('calling hours properties', () => {
  const numbers = [
    '+12125550123',
    '+13055550123',
    '+14055550123',
    '+14105550123',
    '+12065550123',
    '+14015550123',
    '+12085550123',
    '+17015550123',
    '+19075550123',
    '+18005550199',
    '+14165550123',
    '+8613988888888',
  ].map((n) => calleeLocale(parseNumber(n)))
  const from = Date.parse('2026-01-01T00:00:00Z')
  const to = Date.parse('2027-12-31T00:00:00Z')

  it('a denial names a later instant that is allowed; an allow names none', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: from, max: to }),
        fc.constantFrom(...numbers),
        fc.constantFrom(...OUTBOUND_PURPOSES),
        (t, locale, purpose) => {
          const at = new Date(t)
          const decision = engine.evaluate({ locale, purpose, at })
          if (decision.allowed) {
            expect('nextAllowedAt' in decision).toBe(false)
            return
          }
          expect(decision.nextAllowedAt).toBeDefined()
          const next = decision.nextAllowedAt!
          expect(next.getTime()).toBeGreaterThan(t)
          expect(engine.evaluate({ locale, purpose, at: next }).allowed).toBe(true)
          // And nothing earlier is: one minute before the next allowed time is still denied.
          if (next.getTime() - 60_000 > t) {
            expect(engine.evaluate({ locale, purpose, at: new Date(next.getTime() - 60_000) }).allowed).toBe(
              false,
            )
          }
        },
      ),
      { numRuns: 2000 },
    )
  })
})
