/**
 * Judging an attempt against several rolling-window caps: counts, the lowest cap winning,
 * exact next allowed times, and the tenant caps taken from settings.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_ATTEMPT_CAPS,
  assertCaps,
  judgeAttempt,
  tenantAttemptCaps,
  type AttemptCap,
} from '../../src/policy/attempts/attempt-cap.js'

const HOUR = 3_600_000

describe('judgeAttempt', () => {
  it('counts attempts inside each window; an attempt exactly one window old has left it', () => {
    const at = 100 * HOUR
    const times = [at - 1, at - HOUR, at - 23 * HOUR, at - 24 * HOUR].sort((a, b) => b - a)
    const caps: AttemptCap[] = [
      { id: 'h', max: 5, windowHours: 1 },
      { id: 'd', max: 5, windowHours: 24 },
    ]
    expect(judgeAttempt(times, caps, at).counts).toEqual([
      { cap: 'h', count: 1, max: 5, windowHours: 1 },
      { cap: 'd', count: 3, max: 5, windowHours: 24 },
    ])
  })

  it('gives the instant the max-th newest attempt leaves the window', () => {
    const at = 10 * HOUR
    const times = [9 * HOUR, 8 * HOUR, 7 * HOUR]
    const result = judgeAttempt(times, [{ id: 'd', max: 2, windowHours: 24 }], at)
    expect(result.exceeded).toMatchObject({ cap: { id: 'd' }, count: 3, nextAllowedAt: new Date(32 * HOUR) })
  })

  it('takes the cap that frees up last, and the lower max on a tie', () => {
    const at = 10 * HOUR
    const times = [9 * HOUR, 8 * HOUR]
    const result = judgeAttempt(
      times,
      [
        { id: 'loose', max: 2, windowHours: 24 },
        { id: 'strict', max: 1, windowHours: 25 },
      ],
      at,
    )
    // loose: frees at 8 h + 24 h = 32 h; strict: at 9 h + 25 h = 34 h.
    expect(result.exceeded).toMatchObject({ cap: { id: 'strict' }, nextAllowedAt: new Date(34 * HOUR) })
    const tie = judgeAttempt(
      [9 * HOUR],
      [
        { id: 'a', max: 1, windowHours: 24 },
        { id: 'b', max: 1, windowHours: 24 },
      ],
      at,
    )
    expect(tie.exceeded?.cap.id).toBe('a')
  })

  it('nextAllowedAt is the first instant every cap allows again (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 200 * 60 }), { maxLength: 12 }),
        fc.array(
          fc.record({ max: fc.integer({ min: 1, max: 6 }), windowHours: fc.integer({ min: 1, max: 72 }) }),
          {
            minLength: 1,
            maxLength: 3,
          },
        ),
        (minutesAgo, capSpecs) => {
          const at = 1000 * HOUR
          const times = minutesAgo.map((m) => at - m * 60_000).sort((a, b) => b - a)
          const caps = capSpecs.map((c, i) => ({ id: `c${i}`, ...c }))
          const allows = (t: number) => judgeAttempt(times, caps, t).exceeded === undefined
          const result = judgeAttempt(times, caps, at)
          if (result.exceeded === undefined) return allows(at)
          const next = result.exceeded.nextAllowedAt.getTime()
          return next > at && allows(next) && !allows(next - 1)
        },
      ),
    )
  })
})

describe('tenantAttemptCaps', () => {
  it('defaults to 3 per 24 h and 7 per 7 days; tenants override or turn caps off', () => {
    expect(DEFAULT_ATTEMPT_CAPS).toEqual({ perDay: 3, perWeek: 7 })
    expect(tenantAttemptCaps({}, 'acme')).toEqual([
      { id: 'tenant:24h', max: 3, windowHours: 24 },
      { id: 'tenant:7d', max: 7, windowHours: 168 },
    ])
    const settings = { perDay: 5, tenants: { acme: { perWeek: null, perDay: 2 } } }
    expect(tenantAttemptCaps(settings, 'acme')).toEqual([{ id: 'tenant:24h', max: 2, windowHours: 24 }])
    expect(tenantAttemptCaps(settings, 'other')).toEqual([
      { id: 'tenant:24h', max: 5, windowHours: 24 },
      { id: 'tenant:7d', max: 7, windowHours: 168 },
    ])
  })

  it('refuses malformed caps', () => {
    expect(() => assertCaps([{ id: 'x', max: 0, windowHours: 24 }])).toThrow(TypeError)
    expect(() => assertCaps([{ id: 'x', max: 1, windowHours: 0 }])).toThrow(TypeError)
    expect(() => assertCaps([{ id: 'x', max: 1, windowHours: 1000 }])).toThrow(TypeError)
    expect(() => assertCaps([{ id: '', max: 1, windowHours: 1 }])).toThrow(TypeError)
  })
})
