/**
 * Local and UTC times are written correctly for every instant callwarden accepts
 * (|t| ≤ 8.64e15 ms) and the days around its ends: ISO 8601 expanded years outside
 * 0000–9999, the right calendar for years 0–99 and before 1 AD, and calling-hours decisions
 * that show well-formed local times instead of failing; configuration files may start with a
 * UTF-8 byte-order mark.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { formatIsoMinute, utcFromCivil } from '../../src/lib/iso-date-time.js'
import { parseNumber } from '../../src/masking/phone-number.js'
import { calleeLocale } from '../../src/policy/calling-hours/callee-locale.js'
import { evaluateCallingHours } from '../../src/policy/calling-hours/calling-hours-engine.js'

const MAX = 8.64e15
const DAY = 86_400_000
const ISO_MINUTE = /^(\d{4}|[+-]\d{6})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/
const instant = fc.integer({ min: -MAX, max: MAX })

/** `toISOString` to the minute, where a Date can hold the instant. */
const reference = (t: number) => {
  const iso = new Date(t).toISOString()
  return iso.slice(0, iso.indexOf('T') + 6)
}

describe('ISO 8601 times across the whole range', () => {
  it('formatIsoMinute agrees with toISOString on every instant a Date holds', () => {
    fc.assert(
      fc.property(instant, (t) => {
        expect(formatIsoMinute(t)).toBe(reference(t))
      }),
      { numRuns: 5000 },
    )
    for (const t of [
      MAX,
      -MAX,
      0,
      -1,
      Date.UTC(-1, 11, 31, 23, 59),
      new Date('0050-06-01T00:00Z').getTime(),
    ]) {
      expect(formatIsoMinute(t)).toBe(reference(t))
    }
    expect(formatIsoMinute(new Date('+012345-01-01T00:00Z').getTime())).toBe('+012345-01-01T00:00')
    expect(formatIsoMinute(new Date('-000100-03-01T12:30Z').getTime())).toBe('-000100-03-01T12:30')
  })

  it('writes well-formed times beyond the range, where a local time lands after its offset', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX - 2 * DAY, max: MAX + 2 * DAY }), fc.boolean(), (t, negative) => {
        const wall = negative ? -t : t
        const [, year, month, day, hour, minute] = ISO_MINUTE.exec(formatIsoMinute(wall))!.map(Number)
        // Reading the text back gives the same minute.
        expect(utcFromCivil(year!, month!, day!, hour!, minute!)).toBe(Math.floor(wall / 60_000) * 60_000)
      }),
    )
  })

  it('utcFromCivil matches Date.UTC where Date.UTC reads years literally', () => {
    fc.assert(
      fc.property(instant, (t) => {
        const d = new Date(Math.floor(t / 1000) * 1000)
        const civil = utcFromCivil(
          d.getUTCFullYear(),
          d.getUTCMonth() + 1,
          d.getUTCDate(),
          d.getUTCHours(),
          d.getUTCMinutes(),
          d.getUTCSeconds(),
        )
        expect(civil).toBe(d.getTime())
      }),
      { numRuns: 5000 },
    )
  })

  it('calling-hours decisions show well-formed local times for every instant', () => {
    const locales = ['+8613988888888', '+12015550123', '+61291234567', '+447911123456'].map((n) =>
      calleeLocale(parseNumber(n)),
    )
    const edges = [MAX, -MAX, MAX - 3_600_000, -MAX + 3_600_000, Date.UTC(12345, 0, 1), Date.UTC(-100, 0, 1)]
    fc.assert(
      fc.property(fc.oneof(instant, fc.constantFrom(...edges)), fc.constantFrom(...locales), (t, locale) => {
        const decision = evaluateCallingHours({ locale, purpose: 'service', at: new Date(t) })
        if (decision.allowed) return true
        for (const { local } of decision.localTimes) {
          const [, year, month, day, hour, minute] = ISO_MINUTE.exec(local)!.map(Number)
          // A zone's offset (its local mean time included) is well within a day.
          expect(Math.abs(utcFromCivil(year!, month!, day!, hour!, minute!) - t)).toBeLessThan(DAY)
        }
        expect(decision.nextAllowedAt === undefined || !Number.isNaN(decision.nextAllowedAt.getTime())).toBe(
          true,
        )
        return true
      }),
      { numRuns: 300 },
    )
  })
})

describe('configuration files with a byte-order mark', () => {
  it('are read as if it were not there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-bom-'))
    writeFileSync(join(dir, 'callwarden.config.json'), `\ufeff${JSON.stringify({ poolSize: 3 })}`)
    expect(loadConfig({ env: {}, cwd: dir }).poolSize).toBe(3)
  })
})
