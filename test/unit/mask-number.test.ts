import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MASK_STYLES, maskDigits, maskNumber, type MaskStyle } from '../../src/masking/mask-number.js'

describe('maskNumber', () => {
  it.each([
    ['+8618912348352', {}, '189****8352'],
    ['+8618912348352', { format: 'platform' }, '0086189****8352'],
    ['+8618912348352', { format: 'e164' }, '+86189****8352'],
    ['+862088887697', { format: 'platform' }, '0086020****7697'],
    ['+862088887697', {}, '020****7697'],
    ['+8675512345678', {}, '0755****5678'],
    ['+12015550123', {}, '201****123'],
    ['+8618912348352', { style: 'last4' }, '1891234****'],
    ['+8618912348352', { style: 'last8' }, '189********'],
    ['+8618912348352', { style: 'all', format: 'platform' }, '0086***********'],
    ['+8618912348352', { style: 'none' }, '18912348352'],
  ] as const)('%s %o → %s', (input, options, expected) => {
    expect(maskNumber(input, options)).toBe(expected)
  })

  it('fails closed on unreadable input', () => {
    for (const input of ['abc', '110', '+999123', '1398888888888888888']) {
      expect(maskNumber(input)).toMatch(/^\*+$/)
    }
  })

  it('rejects unknown styles and formats with TypeError', () => {
    expect(() => maskNumber('+8613988888888', { style: 'first3' as never })).toThrow(TypeError)
    expect(() => maskNumber('+8613988888888', { format: 'pretty' as never })).toThrow(TypeError)
  })
})

describe('mask rule properties', () => {
  const digits = fc.stringMatching(/^\d{1,17}$/)
  const style = fc.constantFrom(...MASK_STYLES)
  const area = fc.integer({ min: 0, max: 5 })

  const visible = (masked: string) => {
    const first = masked.indexOf('*')
    if (first < 0) return { prefix: masked, suffix: '', hidden: 0 }
    const last = masked.lastIndexOf('*')
    return { prefix: masked.slice(0, first), suffix: masked.slice(last + 1), hidden: last - first + 1 }
  }

  it('visible digits are a prefix and a suffix of the real number, hidden ones one run', () => {
    fc.assert(
      fc.property(digits, style, area, (d, s, a) => {
        const masked = maskDigits(d, s, a)
        expect(masked).toHaveLength(d.length)
        const { prefix, suffix, hidden } = visible(masked)
        expect(d.startsWith(prefix)).toBe(true)
        expect(d.endsWith(suffix)).toBe(true)
        expect(masked.slice(prefix.length, prefix.length + hidden)).toMatch(/^\**$/)
      }),
    )
  })

  it('numbers of 7 or more digits always have at least 4 hidden (every style but none)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{7,17}$/),
        fc.constantFrom(...MASK_STYLES.filter((s) => s !== 'none')),
        area,
        (d, s, a) => {
          expect(visible(maskDigits(d, s as MaskStyle, a)).hidden).toBeGreaterThanOrEqual(4)
        },
      ),
    )
  })

  it('no style reveals more than it says', () => {
    fc.assert(
      fc.property(digits, area, (d, a) => {
        const n = d.length
        expect(visible(maskDigits(d, 'last4', a)).hidden).toBe(Math.min(4, n))
        expect(visible(maskDigits(d, 'last8', a)).hidden).toBe(Math.min(8, n))
        expect(visible(maskDigits(d, 'all', a)).hidden).toBe(n)
        expect(visible(maskDigits(d, 'middle4', a)).hidden).toBe(n <= 4 ? n : 4)
        // middle4 shows at most 4 trailing digits.
        expect(visible(maskDigits(d, 'middle4', a)).suffix.length).toBeLessThanOrEqual(4)
      }),
    )
  })

  it('is deterministic, and real numbers mask without leaking their middle', () => {
    const cnMobile = fc.stringMatching(/^1[3-9]\d{9}$/)
    fc.assert(
      fc.property(cnMobile, (n) => {
        const once = maskNumber(`+86${n}`, { format: 'platform' })
        expect(maskNumber(`+86${n}`, { format: 'platform' })).toBe(once)
        expect(once).toBe(`0086${n.slice(0, 3)}****${n.slice(7)}`)
      }),
    )
  })
})
