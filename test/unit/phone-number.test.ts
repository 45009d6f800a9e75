import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatPlatformNumber, normalizeNumber, parseNumber } from '../../src/masking/phone-number.js'

describe('normalizeNumber', () => {
  it.each([
    ['+8613988888888', '+8613988888888'],
    ['008613988888888', '+8613988888888'],
    ['13988888888', '+8613988888888'],
    ['139 8888 8888', '+8613988888888'],
    ['0086020 8888 7697', '+862088887697'],
    ['020-8888-7697', '+862088887697'],
    ['tel:+86-139-8888-8888', '+8613988888888'],
    ['tel:13988888888;phone-context=+86', '+8613988888888'],
    ['TEL:+1-201-555-0123;ext=12', '+12015550123'],
    ['+1 (201) 555-0123', '+12015550123'],
    ['0012015550123', '+12015550123'],
  ])('%s → %s', (input, e164) => {
    expect(normalizeNumber(input)).toBe(e164)
  })

  it('reads national numbers in the given region', () => {
    expect(normalizeNumber('(201) 555-0123', { defaultRegion: 'US' })).toBe('+12015550123')
    expect(normalizeNumber('020 7946 0000', { defaultRegion: 'GB' })).toBe('+442079460000')
  })

  it.each([
    ['hello', 'NOT_A_NUMBER'],
    ['', 'NOT_A_NUMBER'],
    ['12', 'TOO_SHORT'],
    ['1398888888888888888', 'TOO_LONG'],
    ['+999123456789', 'INVALID_COUNTRY'],
    ['tel:5550123;phone-context=example.com', 'NOT_A_NUMBER'],
  ])('rejects %j with ERR_NUMBER_INVALID (%s), never echoing the input', (input, problem) => {
    let error: unknown
    try {
      normalizeNumber(input)
    } catch (e) {
      error = e
    }
    expect(error).toMatchObject({ code: 'ERR_NUMBER_INVALID', problem })
    if (input.length > 3) expect((error as Error).message).not.toContain(input)
  })

  it('gives the same answer for repeated tel: URIs with phone-context (stateful-regex guard)', () => {
    const inputs = [
      'tel:13988888888;phone-context=+86',
      'tel:2015550123;phone-context=+1',
      'tel:+44-20-7946-0000',
    ]
    const first = inputs.map((i) => normalizeNumber(i))
    for (let round = 0; round < 50; round += 1) {
      expect(inputs.map((i) => normalizeNumber(i))).toEqual(first)
    }
  })

  it('rejects non-strings and bad regions with TypeError', () => {
    expect(() => normalizeNumber(13988888888 as never)).toThrow(TypeError)
    expect(() => normalizeNumber('13988888888', { defaultRegion: 'china' })).toThrow(TypeError)
  })

  it('describes landlines with their area code', () => {
    expect(parseNumber('+862088887697')).toMatchObject({ areaCodeLength: 2, trunkPrefix: '0', region: 'CN' })
    expect(parseNumber('+8675512345678')).toMatchObject({ areaCodeLength: 3, trunkPrefix: '0' })
    expect(parseNumber('+12015550123')).toMatchObject({ areaCodeLength: 3, trunkPrefix: '' })
    expect(parseNumber('+8613988888888')).toMatchObject({ areaCodeLength: 0, type: 'MOBILE' })
  })
})

describe('formatPlatformNumber', () => {
  it('writes 00 + country code + national number, CN landlines with their trunk 0', () => {
    expect(formatPlatformNumber('+8613988888888')).toBe('008613988888888')
    expect(formatPlatformNumber('+862088887697')).toBe('008602088887697')
    expect(formatPlatformNumber('+12015550123')).toBe('0012015550123')
    expect(formatPlatformNumber('+442079460000')).toBe('00442079460000')
  })

  it('property: platform format round-trips through normalizeNumber', () => {
    const cnMobile = fc.tuple(
      fc.constantFrom('139', '138', '186', '189', '150', '177'),
      fc.stringMatching(/^\d{8}$/),
    )
    fc.assert(
      fc.property(cnMobile, ([prefix, rest]) => {
        const e164 = `+86${prefix}${rest}`
        expect(normalizeNumber(formatPlatformNumber(e164))).toBe(e164)
      }),
    )
  })
})
