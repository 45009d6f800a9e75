import { describe, expect, it } from 'vitest'
import { createPipeline } from '../../src/pipeline/pipeline.js'
import type { OutboundCall } from '../../src/pipeline/call-events.js'
import { checkNumber } from '../../src/policy/number-checks/number-check.js'
import { EMERGENCY_NUMBERS, isEmergencyNumber } from '../../src/policy/number-checks/emergency-numbers.js'
import { numberChecks, PARSED_CALLEE_STATE } from '../../src/policy/number-checks/number-checks-middleware.js'

function refusal(input: string, defaultRegion = 'CN') {
  const result = checkNumber(input, { defaultRegion })
  if (result.allowed) throw new Error(`expected a refusal for ${input}`)
  return result
}

describe('checkNumber', () => {
  it.each([
    ['110', 'CN'],
    ['119', 'CN'],
    ['120', 'CN'],
    ['122', 'CN'],
    ['112', 'CN'],
    ['911', 'US'],
    ['999', 'GB'],
    ['000', 'AU'],
    ['15', 'FR'],
    ['17', 'FR'],
    ['18', 'FR'],
    ['1 1 0', 'CN'],
  ])('refuses the emergency number %s in %s', (input, region) => {
    const result = refusal(input, region)
    expect(result.rule).toBe('emergency')
    expect(result.details).toMatchObject({ rule: 'emergency', region })
  })

  it.each(['+86110', '0086119', '+1 911', '+44999', '+3315', 'tel:+86-120', '+1911', '0086110', '001911'])(
    'refuses the emergency number written internationally: %s',
    (input) => {
      expect(refusal(input, 'US').rule).toBe('emergency')
    },
  )

  it("reads bare short codes in the tenant's region only (15 is SAMU in France, nothing in China)", () => {
    expect(refusal('15', 'FR').rule).toBe('emergency')
    expect(refusal('15', 'CN').rule).toBe('invalid')
    expect(isEmergencyNumber('15', 'CN')).toBe(false)
  })

  it('keeps every emergency list as plain short codes', () => {
    for (const [region, codes] of Object.entries(EMERGENCY_NUMBERS)) {
      expect(region).toMatch(/^[A-Z]{2}$/)
      for (const code of codes) expect(code).toMatch(/^\d{2,3}$/)
    }
  })

  it.each([
    ['+19005550123', 'premium-rate', 'US'],
    ['+448712345678', 'premium-rate', 'GB'],
    ['+33891234567', 'premium-rate', 'FR'],
    ['+33810123456', 'shared-cost', 'FR'],
  ])('refuses %s as %s', (input, rule, region) => {
    const result = refusal(input)
    expect(result.rule).toBe(rule)
    expect(result.details).toMatchObject({ rule, region })
  })

  it('allows shared-cost numbers when told to', () => {
    expect(checkNumber('+33810123456', { blockSharedCost: false }).allowed).toBe(true)
  })

  it('refuses unreadable and unallocated numbers with the problem', () => {
    expect(refusal('hello').details).toMatchObject({ rule: 'invalid', problem: 'NOT_A_NUMBER' })
    expect(refusal('+86139').details).toMatchObject({ rule: 'invalid', problem: 'TOO_SHORT' })
    expect(refusal('+12000000000').details).toMatchObject({ rule: 'invalid', problem: 'UNALLOCATED' })
  })

  it('allows ordinary mobile and landline numbers', () => {
    const mobile = checkNumber('13988888888')
    expect(mobile).toMatchObject({ allowed: true, parsed: { e164: '+8613988888888' } })
    expect(checkNumber('+12015550123').allowed).toBe(true)
    expect(checkNumber('020 1234 5678').allowed).toBe(true)
  })

  it('never puts the number in a message or details', () => {
    for (const input of ['+19005550123', '+12000000000', '+33810123456', '+86139123']) {
      const result = refusal(input)
      const digits = input.replace(/\D/g, '').slice(-7)
      expect(JSON.stringify(result)).not.toContain(digits)
    }
  })

  it('throws TypeError for a non-string', () => {
    expect(() => checkNumber(12 as unknown as string)).toThrow(TypeError)
  })
})

describe('numberChecks middleware', () => {
  const event = (callee: string): OutboundCall => ({
    type: 'outbound',
    tenantId: 'acme',
    callId: 'c-1',
    callee,
  })

  it('denies with ERR_POLICY_NUMBER_NOT_ALLOWED and the rule, and stops the chain', async () => {
    let reached = false
    const chain = createPipeline<OutboundCall>()
      .use(numberChecks({ regionOf: () => 'CN' }))
      .use(async (_ctx, next) => {
        reached = true
        await next()
      })
    const decision = await chain.run(event('110'))
    expect(decision.verdict).toBe('deny')
    expect(decision.reasons[0]).toMatchObject({
      code: 'ERR_POLICY_NUMBER_NOT_ALLOWED',
      middleware: 'numberChecks',
      details: { rule: 'emergency', region: 'CN', shortCode: '110' },
    })
    expect(reached).toBe(false)
  })

  it("uses the tenant's region and leaves the parsed number for later checks", async () => {
    let parsed: unknown
    const chain = createPipeline<OutboundCall>()
      .use(numberChecks({ regionOf: async () => 'US' }))
      .use(async (ctx, next) => {
        parsed = ctx.state.get(PARSED_CALLEE_STATE)
        await next()
      })
    expect((await chain.run(event('2015550123'))).verdict).toBe('allow')
    expect(parsed).toMatchObject({ e164: '+12015550123' })
    expect((await chain.run(event('911'))).reasons[0]?.details).toMatchObject({ rule: 'emergency' })
  })

  it('fails closed when the region cannot be looked up', async () => {
    const chain = createPipeline<OutboundCall>().use(
      numberChecks({
        regionOf: () => {
          throw new Error('database down')
        },
      }),
    )
    const decision = await chain.run(event('+8613988888888'))
    expect(decision.verdict).toBe('deny')
    expect(decision.reasons[0]?.code).toBe('ERR_POLICY_UNAVAILABLE')
  })
})
