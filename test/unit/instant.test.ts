/**
 * The one strict reading of user-given times: dates that exist, an explicit offset, valid
 * Dates and epoch milliseconds in range; everything else names no instant.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseInstant, readInstant } from '../../src/lib/instant.js'

describe('readInstant', () => {
  it.each([
    ['2026-11-23T10:00:00Z', Date.UTC(2026, 10, 23, 10)],
    ['2026-11-23T10:00Z', Date.UTC(2026, 10, 23, 10)],
    ['2026-11-23t10:00:00.5z', Date.UTC(2026, 10, 23, 10, 0, 0, 500)],
    ['2026-11-23T18:00:00.123456789+08:00', Date.UTC(2026, 10, 23, 10, 0, 0, 123)],
    ['2026-11-23T05:00:00-05:00', Date.UTC(2026, 10, 23, 10)],
    ['2028-02-29T00:00:00Z', Date.UTC(2028, 1, 29)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    ['0050-01-01T00:00:00Z', -60589296000000],
  ])('reads %s', (text, expected) => {
    expect(readInstant(text)).toBe(expected)
  })

  it.each([
    '2026-02-30T00:00:00Z',
    '2027-06-31T00:00:00Z',
    '2026-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-11-00T00:00:00Z',
    '2026-11-23T24:00:00Z',
    '2026-11-23T10:60:00Z',
    '2026-11-23T10:00:60Z',
    '2026-11-23T10:00:00+24:00',
    '2026-11-23T10:00:00+05:60',
    '2026-11-23T10:00:00',
    '2026-11-23 10:00:00Z',
    '2026-11-23',
    '2026-11-23T10:00:00+0800',
    'yesterday',
    '',
    ' 2026-11-23T10:00:00Z',
    '+275760-09-13T00:00:00Z',
  ])('refuses %s', (text) => {
    expect(readInstant(text)).toBeUndefined()
  })

  it('takes valid Dates and finite epoch milliseconds within ±8.64e15', () => {
    expect(readInstant(new Date(0))).toBe(0)
    expect(readInstant(8.64e15)).toBe(8.64e15)
    for (const bad of [new Date(Number.NaN), Number.NaN, Infinity, 8.64e15 + 1, -8.64e15 - 1]) {
      expect(readInstant(bad)).toBeUndefined()
    }
  })

  it('agrees with Date on every real date-time it is given with an offset', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0100-01-02T00:00:00Z'),
          max: new Date('9999-12-30T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (date, offset) => {
          const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 23)
          const sign = offset < 0 ? '-' : '+'
          const abs = Math.abs(offset)
          const text = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
          expect(readInstant(text)).toBe(date.getTime())
        },
      ),
    )
  })
})

describe('parseInstant', () => {
  it('is ERR_TIME_INVALID (or the code given) for values that name no instant', () => {
    expect(() => parseInstant('2026-02-30T00:00:00Z', 'at')).toThrow(
      expect.objectContaining({ code: 'ERR_TIME_INVALID', field: 'at' }),
    )
    expect(() => parseInstant('yesterday', 'expiresAt', 'ERR_CONSENT_INVALID')).toThrow(
      expect.objectContaining({ code: 'ERR_CONSENT_INVALID', field: 'expiresAt' }),
    )
  })

  it('is a TypeError naming the field for values of another type', () => {
    for (const bad of [null, undefined, {}, true]) expect(() => parseInstant(bad, 'at')).toThrow(TypeError)
  })
})
