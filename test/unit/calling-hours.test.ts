import { describe, expect, it } from 'vitest'
import { parseNumber } from '../../src/masking/phone-number.js'
import type { OutboundPurpose } from '../../src/pipeline/call-events.js'
import { calleeLocale, localeOf } from '../../src/policy/calling-hours/callee-locale.js'
import {
  CallingHoursEngine,
  type CallingHoursDecision,
  type CallingHoursDenied,
} from '../../src/policy/calling-hours/calling-hours-engine.js'
import { parseCallingHoursOverrides } from '../../src/policy/calling-hours/calling-hours-overrides.js'
import { DEFAULT_RULE_PACK } from '../../src/policy/calling-hours/default-rule-pack.js'

const engine = new CallingHoursEngine()
const NY = calleeLocale(parseNumber('+12125550123'))
const FL = calleeLocale(parseNumber('+13055550123'))
const RI = calleeLocale(parseNumber('+14015550123'))
const IDAHO = calleeLocale(parseNumber('+12085550123')) // America/Boise and America/Los_Angeles
const CN = calleeLocale(parseNumber('+8613988888888'))

function judge(
  locale = NY,
  at: string,
  purpose: OutboundPurpose = 'marketing',
  tenantOverrides?: ReturnType<typeof parseCallingHoursOverrides>,
): CallingHoursDecision {
  return engine.evaluate({ locale, purpose, at: new Date(at), tenantOverrides })
}

function denied(decision: CallingHoursDecision): CallingHoursDenied {
  if (decision.allowed) throw new Error('expected a denial')
  return decision
}

describe('calling hours at DST transitions (America/New_York)', () => {
  it('spring forward 2027-03-14: 07:59 EDT denied, 08:00 EDT allowed', () => {
    const early = denied(judge(NY, '2027-03-14T11:59:00Z'))
    expect(early.localTimes).toEqual([{ zone: 'America/New_York', local: '2027-03-14T07:59' }])
    expect(early.nextAllowedAt?.toISOString()).toBe('2027-03-14T12:00:00.000Z')
    expect(judge(NY, '2027-03-14T12:00:00Z').allowed).toBe(true)
  })

  it('spring forward: a call at 01:30 EST waits for 08:00 EDT (12:00Z, one hour less than in winter)', () => {
    const night = denied(judge(NY, '2027-03-14T06:30:00Z'))
    expect(night.localTimes[0]!.local).toBe('2027-03-14T01:30')
    expect(night.nextAllowedAt?.toISOString()).toBe('2027-03-14T12:00:00.000Z')
  })

  it('spring forward: 20:59 EDT allowed, 21:00 EDT denied until 08:00 EDT the next day', () => {
    expect(judge(NY, '2027-03-15T00:59:00Z').allowed).toBe(true)
    const late = denied(judge(NY, '2027-03-15T01:00:00Z'))
    expect(late.localTimes[0]!.local).toBe('2027-03-14T21:00')
    expect(late.nextAllowedAt?.toISOString()).toBe('2027-03-15T12:00:00.000Z')
  })

  it('fall back 2026-11-01: 07:59 EST denied, 08:00 EST (13:00Z) allowed', () => {
    const early = denied(judge(NY, '2026-11-01T12:59:00Z'))
    expect(early.localTimes[0]!.local).toBe('2026-11-01T07:59')
    expect(early.nextAllowedAt?.toISOString()).toBe('2026-11-01T13:00:00.000Z')
    expect(judge(NY, '2026-11-01T13:00:00Z').allowed).toBe(true)
  })

  it('fall back: from the first 01:30 (EDT) the next allowed time is 08:00 EST', () => {
    const fold = denied(judge(NY, '2026-11-01T05:30:00Z'))
    expect(fold.localTimes[0]!.local).toBe('2026-11-01T01:30')
    expect(fold.nextAllowedAt?.toISOString()).toBe('2026-11-01T13:00:00.000Z')
  })

  it('fall back: 21:00 EDT the evening before waits across the transition to 08:00 EST', () => {
    const evening = denied(judge(NY, '2026-11-01T01:00:00Z'))
    expect(evening.localTimes[0]!.local).toBe('2026-10-31T21:00')
    expect(evening.nextAllowedAt?.toISOString()).toBe('2026-11-01T13:00:00.000Z')
  })

  it('fall back: 20:59 EST allowed, 21:00 EST denied', () => {
    expect(judge(NY, '2026-11-02T01:59:00Z').allowed).toBe(true)
    const late = denied(judge(NY, '2026-11-02T02:00:00Z'))
    expect(late.localTimes[0]!.local).toBe('2026-11-01T21:00')
    expect(late.nextAllowedAt?.toISOString()).toBe('2026-11-02T13:00:00.000Z')
  })
})

describe('calling hours across midnight', () => {
  it('23:30 and 00:30 local are denied until 08:00 the next morning', () => {
    const before = denied(judge(NY, '2026-06-11T03:30:00Z'))
    expect(before.localTimes[0]!.local).toBe('2026-06-10T23:30')
    expect(before.nextAllowedAt?.toISOString()).toBe('2026-06-11T12:00:00.000Z')
    const after = denied(judge(NY, '2026-06-11T04:30:00Z'))
    expect(after.localTimes[0]!.local).toBe('2026-06-11T00:30')
    expect(after.nextAllowedAt?.toISOString()).toBe('2026-06-11T12:00:00.000Z')
  })

  it('a call denied just before midnight in China waits for 09:00 CST', () => {
    const late = denied(judge(CN, '2026-06-10T15:45:00Z', 'service'))
    expect(late.localTimes).toEqual([{ zone: 'Asia/Shanghai', local: '2026-06-10T23:45' }])
    expect(late.nextAllowedAt?.toISOString()).toBe('2026-06-11T01:00:00.000Z')
  })
})

describe('calling hours for numbers in several zones', () => {
  it('an Idaho number (Mountain and Pacific) is denied while it is 07:30 in Pacific time', () => {
    const result = denied(judge(IDAHO, '2026-06-01T14:30:00Z'))
    expect(result.zones).toEqual(['America/Boise', 'America/Los_Angeles'])
    expect(result.localTimes).toEqual([
      { zone: 'America/Boise', local: '2026-06-01T08:30' },
      { zone: 'America/Los_Angeles', local: '2026-06-01T07:30' },
    ])
    expect(result.nextAllowedAt?.toISOString()).toBe('2026-06-01T15:00:00.000Z')
    expect(judge(IDAHO, '2026-06-01T15:00:00Z').allowed).toBe(true)
  })

  it('is denied at 21:00 Mountain time although Pacific time allows, until 08:00 Pacific the next day', () => {
    expect(judge(IDAHO, '2026-06-02T02:59:00Z').allowed).toBe(true)
    const result = denied(judge(IDAHO, '2026-06-02T03:00:00Z'))
    expect(result.localTimes.map((l) => l.local)).toEqual(['2026-06-01T21:00', '2026-06-01T20:00'])
    expect(result.nextAllowedAt?.toISOString()).toBe('2026-06-02T15:00:00.000Z')
  })

  it('a North Dakota number (Mountain and Central) needs both zones in the window', () => {
    const nd = calleeLocale(parseNumber('+17015550123'))
    expect(nd.zones).toEqual(['America/Denver', 'America/North_Dakota/Center'])
    const result = denied(judge(nd, '2026-01-15T14:30:00Z')) // 07:30 MST, 08:30 CST
    expect(result.nextAllowedAt?.toISOString()).toBe('2026-01-15T15:00:00.000Z')
  })

  it('a toll-free number is judged in every US zone (the strictest reading)', () => {
    const tollFree = calleeLocale(parseNumber('+18005550199'))
    expect(tollFree.zones).toContain('Pacific/Honolulu')
    expect(tollFree.zones).toContain('America/New_York')
    // 12:00 in New York is 06:00 in Honolulu.
    const result = denied(judge(tollFree, '2026-06-01T16:00:00Z'))
    expect(result.nextAllowedAt?.toISOString()).toBe('2026-06-01T18:00:00.000Z')
  })
})

describe('holidays', () => {
  it('CN National Day 2026: the next allowed time skips the whole holiday to 2026-10-08 09:00 CST', () => {
    const result = denied(judge(CN, '2026-10-01T03:00:00Z', 'service'))
    expect(result.reason).toBe('holiday')
    expect(result.holiday).toMatch(/National Day/)
    expect(result.ruleId).toBe('cn-default-hours')
    expect(result.nextAllowedAt?.toISOString()).toBe('2026-10-08T01:00:00.000Z')
    expect(judge(CN, '2026-10-07T12:00:00Z', 'service').allowed).toBe(false)
    expect(judge(CN, '2026-10-08T01:00:00Z', 'service').allowed).toBe(true)
  })

  it('CN: with a weekday-only tenant window, the next allowed time lands on the make-up workday Saturday 2026-10-10', () => {
    const weekdays = parseCallingHoursOverrides({
      countries: {
        CN: { windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', until: '18:00' }] },
      },
    })
    const friday = denied(judge(CN, '2026-10-09T11:00:00Z', 'marketing', weekdays)) // Fri 19:00 CST
    expect(friday.ruleId).toBe('tenant.cn')
    expect(friday.nextAllowedAt?.toISOString()).toBe('2026-10-10T01:00:00.000Z')
    expect(judge(CN, '2026-10-10T02:00:00Z', 'marketing', weekdays).allowed).toBe(true)
    // An ordinary Saturday stays closed.
    expect(judge(CN, '2026-10-17T02:00:00Z', 'marketing', weekdays).allowed).toBe(false)
  })

  it('CN Spring Festival 2026 (9 days) is skipped in one step', () => {
    const result = denied(judge(CN, '2026-02-15T02:00:00Z', 'consultation'))
    expect(result.nextAllowedAt?.toISOString()).toBe('2026-02-24T01:00:00.000Z')
  })

  it('CN fixed-date statutory holidays apply in years the dated notice does not cover', () => {
    expect(denied(judge(CN, '2027-10-02T03:00:00Z', 'service')).reason).toBe('holiday')
  })

  it('Rhode Island: no marketing calls on Thanksgiving; next allowed Friday 09:00 EST', () => {
    const result = denied(judge(RI, '2026-11-26T15:00:00Z'))
    expect(result).toMatchObject({
      reason: 'holiday',
      holiday: 'Thanksgiving Day',
      ruleId: 'us-ri-telemarketing',
    })
    expect(result.citation).toMatch(/R\.I\. Gen\. Laws § 5-61-3\.6/)
    expect(result.nextAllowedAt?.toISOString()).toBe('2026-11-27T14:00:00.000Z')
  })

  it('Rhode Island: Independence Day on a Saturday closes the observed Friday, the Saturday and the Sunday', () => {
    const result = denied(judge(RI, '2026-07-03T15:00:00Z'))
    expect(result.holiday).toBe('Independence Day (observed)')
    expect(result.nextAllowedAt?.toISOString()).toBe('2026-07-06T13:00:00.000Z')
  })

  it('Rhode Island: Sunday is closed, Saturday ends at 17:00', () => {
    const sunday = denied(judge(RI, '2026-11-22T15:00:00Z'))
    expect(sunday.reason).toBe('closed-day')
    expect(sunday.nextAllowedAt?.toISOString()).toBe('2026-11-23T14:00:00.000Z')
    expect(judge(RI, '2026-11-21T21:59:00Z').allowed).toBe(true) // Sat 16:59 EST
    expect(judge(RI, '2026-11-21T22:00:00Z').allowed).toBe(false)
  })
})

describe('state rules stricter than the federal rule', () => {
  it('FL 20:30 is denied with the Florida citation; NY 20:30 is allowed', () => {
    const at = '2026-06-01T00:30:00Z' // 20:30 EDT on 2026-05-31
    const fl = denied(judge(FL, at))
    expect(fl.ruleId).toBe('us-fl-telemarketing')
    expect(fl.citation).toMatch(/Fla\. Stat\. § 501\.616\(6\)/)
    expect(fl.nextAllowedAt?.toISOString()).toBe('2026-06-01T12:00:00.000Z')
    expect(judge(NY, at).allowed).toBe(true)
  })

  it.each([
    ['+14055550123', 'us-ok-telemarketing', '2026-06-02T01:30:00Z'], // OK, 20:30 CDT
    ['+14105550123', 'us-md-telemarketing', '2026-06-01T00:30:00Z'], // MD, 20:30 EDT
    ['+12065550123', 'us-wa-telemarketing', '2026-06-01T03:30:00Z'], // WA, 20:30 PDT
  ])('%s at 20:30 local is denied by %s', (number, rule, at) => {
    expect(denied(judge(calleeLocale(parseNumber(number)), at)).ruleId).toBe(rule)
  })

  it('state telemarketing rules cover marketing only; service calls keep the default 08:00–21:00', () => {
    expect(judge(FL, '2026-06-01T00:30:00Z', 'service').allowed).toBe(true)
    expect(denied(judge(FL, '2026-06-01T01:30:00Z', 'service')).ruleId).toBe('us-rest-hours')
  })

  it('customer-requested callbacks are not restricted by the default pack', () => {
    expect(judge(NY, '2026-06-11T03:30:00Z', 'callback').allowed).toBe(true)
    expect(judge(CN, '2026-10-01T03:00:00Z', 'callback').allowed).toBe(true)
  })

  it('an absent purpose is read as marketing', () => {
    const decision = engine.evaluate({ locale: FL, at: new Date('2026-06-01T00:30:00Z') })
    expect(decision.allowed).toBe(false)
  })

  it('reports the FL, OK and MD per-24-hour caps for marketing calls, none for NY or service calls', () => {
    const at = new Date('2026-06-01T12:00:00Z')
    expect(engine.attemptCapsFor(FL, 'marketing', at)).toEqual([
      expect.objectContaining({ ruleId: 'us-fl-telemarketing', max: 3, windowHours: 24, sameSubject: true }),
    ])
    for (const number of ['+14055550123', '+14105550123']) {
      expect(engine.attemptCapsFor(calleeLocale(parseNumber(number)), 'marketing', at)).toHaveLength(1)
    }
    expect(engine.attemptCapsFor(NY, 'marketing', at)).toEqual([])
    expect(engine.attemptCapsFor(FL, 'service', at)).toEqual([])
    // Maryland's act is in force from 2024-01-01.
    const md = calleeLocale(parseNumber('+14105550123'))
    expect(engine.attemptCapsFor(md, 'marketing', new Date('2023-12-31T17:00:00Z'))).toEqual([])
  })
})

describe('tenant overrides', () => {
  it('narrow a statutory window (the tenant rule applies as well)', () => {
    const office = parseCallingHoursOverrides({
      countries: {
        US: { windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '10:00', until: '18:00' }] },
      },
    })
    const result = denied(judge(NY, '2026-06-03T13:30:00Z', 'marketing', office)) // Wed 09:30 EDT
    expect(result.ruleId).toBe('tenant.us')
    expect(result.citation).toMatch(/tenant override/)
    expect(result.nextAllowedAt?.toISOString()).toBe('2026-06-03T14:00:00.000Z')
    // Saturday is closed for this tenant: Friday 18:00 → Monday 10:00.
    const friday = denied(judge(NY, '2026-06-05T22:00:00Z', 'marketing', office))
    expect(friday.nextAllowedAt?.toISOString()).toBe('2026-06-08T14:00:00.000Z')
  })

  it('never widen a statutory window: the intersection applies', () => {
    const wide = parseCallingHoursOverrides({
      countries: {
        US: {
          windows: [
            { days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], from: '06:00', until: '23:00' },
          ],
        },
      },
    })
    const result = denied(judge(NY, '2026-06-03T11:00:00Z', 'marketing', wide)) // 07:00 EDT
    expect(result.ruleId).toBe('us-federal-hours')
    expect(result.nextAllowedAt?.toISOString()).toBe('2026-06-03T12:00:00.000Z')
    expect(denied(judge(FL, '2026-06-04T00:30:00Z', 'marketing', wide)).ruleId).toBe('us-fl-telemarketing')
  })

  it('replace the China default window (not statutory), keeping the holidays', () => {
    const longer = parseCallingHoursOverrides({
      countries: {
        CN: {
          windows: [
            { days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], from: '08:00', until: '21:00' },
          ],
        },
      },
    })
    expect(judge(CN, '2026-06-10T00:30:00Z', 'service').allowed).toBe(false) // 08:30, default window
    expect(judge(CN, '2026-06-10T00:30:00Z', 'service', longer).allowed).toBe(true)
    expect(judge(CN, '2026-10-02T00:30:00Z', 'service', longer).allowed).toBe(false)
  })

  it('add blackout dates in the callee’s local calendar', () => {
    const blackout = parseCallingHoursOverrides({ blackouts: [{ name: 'company day', date: '2026-12-24' }] })
    const result = denied(judge(NY, '2026-12-24T15:00:00Z', 'service', blackout))
    expect(result).toMatchObject({ reason: 'holiday', holiday: 'company day', ruleId: 'tenant.blackouts' })
    expect(result.nextAllowedAt?.toISOString()).toBe('2026-12-25T13:00:00.000Z')
  })

  it.each([
    [{ countries: { CN: { windows: [{ days: ['mon'], from: '20:00', until: '09:00' }] } } }, 'until'],
    [{ countries: { CN: { windows: [{ days: ['funday'], from: '09:00', until: '10:00' }] } } }, 'days'],
    [{ countries: { china: {} } }, 'countries'],
    [{ blackouts: [{ name: 'x', date: '2026-02-30' }] }, 'blackouts'],
    [{ windows: [] }, '(root)'],
  ])('are rejected with ERR_RULE_PACK_INVALID when malformed (%j)', (input, field) => {
    expect(() => parseCallingHoursOverrides(input)).toThrow(
      expect.objectContaining({ code: 'ERR_RULE_PACK_INVALID' }),
    )
    try {
      parseCallingHoursOverrides(input)
    } catch (error) {
      expect((error as Error).message).toContain(field)
    }
  })
})

describe('effective dating', () => {
  const v2 = {
    ...DEFAULT_RULE_PACK,
    version: '2026.12.0',
    effectiveFrom: '2026-06-02T00:00:00Z',
    rules: DEFAULT_RULE_PACK.rules.map((rule) =>
      rule.id === 'us-federal-hours'
        ? { ...rule, windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '10:00', until: '18:00' }] }
        : rule,
    ),
  }
  const versions = new CallingHoursEngine({ packs: [DEFAULT_RULE_PACK, v2] })

  it('a pack version starting tomorrow is not applied today', () => {
    const today = versions.evaluate({
      locale: NY,
      purpose: 'marketing',
      at: new Date('2026-06-01T13:00:00Z'),
    })
    expect(today).toMatchObject({ allowed: true, packVersion: '2026.11.0' })
    const tomorrow = denied(
      versions.evaluate({ locale: NY, purpose: 'marketing', at: new Date('2026-06-02T13:00:00Z') }),
    )
    expect(tomorrow).toMatchObject({ packVersion: '2026.12.0', ruleId: 'us-federal-hours' })
    expect(tomorrow.nextAllowedAt?.toISOString()).toBe('2026-06-02T14:00:00.000Z')
  })

  it('the next allowed time honours a version that starts within the search', () => {
    // Mon 2026-06-01 21:30 EDT: v1 would reopen at 08:00, v2 (in force from 00:00Z) at 10:00.
    const result = denied(
      versions.evaluate({ locale: NY, purpose: 'marketing', at: new Date('2026-06-02T01:30:00Z') }),
    )
    expect(result.nextAllowedAt?.toISOString()).toBe('2026-06-02T14:00:00.000Z')
  })

  it('a rule with a future local effective date is not applied before it', () => {
    const md = calleeLocale(parseNumber('+14105550123'))
    expect(
      engine.evaluate({ locale: md, purpose: 'marketing', at: new Date('2023-12-01T01:30:00Z') }).allowed,
    ).toBe(true) // 20:30 EST, before the Maryland act
    expect(
      engine.evaluate({ locale: md, purpose: 'marketing', at: new Date('2024-01-02T01:30:00Z') }).allowed,
    ).toBe(false)
  })

  it('before any version is in force, calls are denied (fail closed)', () => {
    const later = new CallingHoursEngine({ packs: [v2] })
    const result = denied(
      later.evaluate({ locale: NY, purpose: 'marketing', at: new Date('2026-06-01T13:00:00Z') }),
    )
    expect(result.reason).toBe('no-rule-pack')
    expect(result.nextAllowedAt).toBeUndefined()
  })

  it('rejects malformed packs and mixed pack ids with ERR_RULE_PACK_INVALID', () => {
    const bad = (packs: unknown[]) => () => new CallingHoursEngine({ packs })
    expect(bad([{ ...DEFAULT_RULE_PACK, effectiveFrom: 'tomorrow' }])).toThrow(
      expect.objectContaining({ code: 'ERR_RULE_PACK_INVALID' }),
    )
    expect(bad([DEFAULT_RULE_PACK, { ...v2, id: 'other' }])).toThrow(
      expect.objectContaining({ code: 'ERR_RULE_PACK_INVALID' }),
    )
    expect(bad([DEFAULT_RULE_PACK, DEFAULT_RULE_PACK])).toThrow(
      expect.objectContaining({ code: 'ERR_RULE_PACK_INVALID' }),
    )
    const duplicate = {
      ...DEFAULT_RULE_PACK,
      rules: [DEFAULT_RULE_PACK.rules[0], DEFAULT_RULE_PACK.rules[0]],
    }
    expect(bad([duplicate])).toThrow(/duplicate rule id/)
    const uncited = { ...DEFAULT_RULE_PACK, rules: [{ ...DEFAULT_RULE_PACK.rules[0], citation: '' }] }
    expect(bad([uncited])).toThrow(/rules\.0\.citation/)
  })
})

describe('the default pack', () => {
  it('gives every rule a citation, and every statutory rule marketing scope', () => {
    for (const rule of DEFAULT_RULE_PACK.rules) {
      expect(rule.citation.length).toBeGreaterThan(20)
      if (!('kind' in rule)) expect(rule.purposes).toEqual(['marketing'])
    }
  })

  it('works with hand-built locales (a zone the caller knows)', () => {
    const chicago = localeOf({ country: 'US', zones: ['America/Chicago'], subdivision: 'US-OK' })
    expect(chicago).toBe(calleeLocale(parseNumber('+14055550123')))
    expect(denied(judge(chicago, '2026-06-02T01:30:00Z')).ruleId).toBe('us-ok-telemarketing')
  })

  it('describes the allowed hours in the message without the number', () => {
    const result = denied(judge(RI, '2026-11-22T15:00:00Z'))
    expect(result.message).toContain('mon–fri 09:00–18:00; sat 10:00–17:00; sun no calls')
    expect(JSON.stringify(result)).not.toMatch(/401555/)
  })
})
