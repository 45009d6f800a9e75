import { describe, expect, it } from 'vitest'
import { parseNumber } from '../../src/masking/phone-number.js'
import { readBsonStrings } from '../../src/policy/calling-hours/bson-strings.js'
import { calleeLocale, loadCalleeLocaleData } from '../../src/policy/calling-hours/callee-locale.js'
import { NANP_AREA_SUBDIVISIONS } from '../../src/policy/calling-hours/nanp-area-codes.js'
import { zoneOffsets } from '../../src/policy/calling-hours/zone-offsets.js'

const locale = (number: string) => calleeLocale(parseNumber(number))

describe('calleeLocale', () => {
  it.each([
    ['+12125550123', 'US-NY', ['America/New_York']],
    ['+13055550123', 'US-FL', ['America/New_York']],
    ['+14055550123', 'US-OK', ['America/Chicago']],
    ['+14105550123', 'US-MD', ['America/New_York']],
    ['+12065550123', 'US-WA', ['America/Los_Angeles']],
    ['+14015550123', 'US-RI', ['America/New_York']],
    ['+12085550123', 'US-ID', ['America/Boise', 'America/Los_Angeles']],
    ['+17015550123', 'US-ND', ['America/Denver', 'America/North_Dakota/Center']],
    ['+19075550123', 'US-AK', ['America/Adak', 'America/Anchorage']],
    ['+14165550123', 'CA-ON', ['America/Toronto']],
  ])('%s is in %s, zones %j', (number, subdivision, zones) => {
    expect(locale(number)).toEqual({ country: locale(number).country, zones, subdivision })
    expect(locale(number).country).toBe(subdivision.slice(0, 2))
  })

  it('places Chinese numbers in Asia/Shanghai without a subdivision', () => {
    expect(locale('+8613988888888')).toEqual({ country: 'CN', zones: ['Asia/Shanghai'] })
    expect(locale('+862012345678')).toEqual({ country: 'CN', zones: ['Asia/Shanghai'] })
  })

  it('gives a number placed only by country every zone of its country (not of the calling code)', () => {
    const tollFree = locale('+18005550199')
    expect(tollFree.country).toBe('US')
    expect(tollFree.subdivision).toBeUndefined()
    expect(tollFree.zones).toEqual(
      expect.arrayContaining(['America/New_York', 'America/Los_Angeles', 'Pacific/Honolulu']),
    )
    // +1 is shared with Canada and the Caribbean; their zones are not the US's.
    expect(tollFree.zones).not.toContain('America/Toronto')
    expect(tollFree.zones).not.toContain('America/Jamaica')
    // +7 is shared by Russia and Kazakhstan.
    expect(locale('+77012345678').zones.every((zone) => zone.startsWith('Asia/'))).toBe(true)
    expect(locale('+79161234567').zones).toEqual(['Europe/Moscow'])
  })

  it('interns locales so that equal locales are the same object', () => {
    expect(locale('+12125550123')).toBe(locale('+13475550123'))
    expect(Object.isFrozen(locale('+12125550123'))).toBe(true)
  })

  it('maps every NANP area code to a US state, DC or a Canadian province', () => {
    for (const [area, subdivision] of Object.entries(NANP_AREA_SUBDIVISIONS)) {
      expect(area).toMatch(/^[2-9]\d\d$/)
      expect(subdivision).toMatch(/^(US|CA)-[A-Z]{2}$/)
    }
    expect(NANP_AREA_SUBDIVISIONS['202']).toBe('US-DC')
    expect(NANP_AREA_SUBDIVISIONS['718']).toBe('US-NY') // only longer prefixes in the geocoder data
  })

  it('reports unreadable data with ERR_RULE_PACK_INVALID', () => {
    expect(() => loadCalleeLocaleData({ path: '/nonexistent/timezones.bson' })).toThrow(
      expect.objectContaining({ code: 'ERR_RULE_PACK_INVALID' }),
    )
    expect(() => readBsonStrings(Buffer.from([5, 0, 0, 0, 1]), 'test')).toThrow(
      expect.objectContaining({ code: 'ERR_RULE_PACK_INVALID' }),
    )
    const int32 = Buffer.from([12, 0, 0, 0, 0x10, 0x61, 0, 1, 0, 0, 0, 0])
    expect(() => readBsonStrings(int32, 'test')).toThrow(/only strings/)
    // The real data still loads after a failed attempt.
    loadCalleeLocaleData({ reload: true })
    expect(locale('+12125550123').zones).toEqual(['America/New_York'])
  })
})

describe('zone offsets', () => {
  const newYork = zoneOffsets('America/New_York')
  const HOUR = 3_600_000

  it('match Intl at and around the 2027 spring-forward and 2026 fall-back transitions', () => {
    expect(newYork.offsetAt(Date.parse('2027-03-14T06:59:00Z'))).toBe(-5 * HOUR)
    expect(newYork.offsetAt(Date.parse('2027-03-14T07:00:00Z'))).toBe(-4 * HOUR)
    expect(newYork.offsetAt(Date.parse('2026-11-01T05:59:00Z'))).toBe(-4 * HOUR)
    expect(newYork.offsetAt(Date.parse('2026-11-01T06:00:00Z'))).toBe(-5 * HOUR)
    expect(zoneOffsets('Asia/Kathmandu').offsetAt(Date.parse('2026-06-01T00:00:00Z'))).toBe(5.75 * HOUR)
    expect(zoneOffsets('Australia/Lord_Howe').offsetAt(Date.parse('2026-01-01T00:00:00Z'))).toBe(11 * HOUR)
  })

  it('turn local wall times into instants: the gap maps to the jump, the fold to the first time', () => {
    const local = (text: string) => Date.parse(`${text}:00Z`)
    expect(new Date(newYork.instantAt(local('2027-03-14T02:30'))).toISOString()).toBe(
      '2027-03-14T07:00:00.000Z',
    )
    expect(new Date(newYork.instantAt(local('2027-03-14T08:00'))).toISOString()).toBe(
      '2027-03-14T12:00:00.000Z',
    )
    expect(new Date(newYork.instantAt(local('2026-11-01T01:30'))).toISOString()).toBe(
      '2026-11-01T05:30:00.000Z',
    )
    expect(new Date(newYork.instantAt(local('2026-11-01T08:00'))).toISOString()).toBe(
      '2026-11-01T13:00:00.000Z',
    )
  })

  it('agree with Intl for every hour of a year in several zones', () => {
    for (const zone of [
      'America/New_York',
      'Europe/London',
      'Australia/Sydney',
      'America/Santiago',
      'Asia/Shanghai',
    ]) {
      const offsets = zoneOffsets(zone)
      const format = new Intl.DateTimeFormat('en-CA', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
      })
      for (
        let t = Date.parse('2026-01-01T00:00:00Z');
        t < Date.parse('2027-01-01T00:00:00Z');
        t += 7 * HOUR
      ) {
        const expected = format.format(t).replace(', ', 'T')
        expect(new Date(offsets.localAt(t)).toISOString().slice(0, 16)).toBe(expected)
      }
    }
  })
})
