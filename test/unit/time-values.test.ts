import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toTimeValue } from '../../src/store/time-values.js'

describe('toTimeValue', () => {
  it('renders each format', () => {
    const t = new Date(Date.UTC(2026, 4, 17, 8, 30, 5, 42))
    expect(toTimeValue(t, 'epoch_ms')).toBe(t.getTime())
    expect(toTimeValue(t, 'epoch_s')).toBe(Math.floor(t.getTime() / 1000))
    expect(toTimeValue(t, 'datetime')).toBe('2026-05-17 08:30:05.042')
  })

  it('property: every format preserves time order', () => {
    const instant = fc.date({
      min: new Date('1971-01-01Z'),
      max: new Date('2999-12-31Z'),
      noInvalidDate: true,
    })
    fc.assert(
      fc.property(instant, instant, (a, b) => {
        for (const format of ['epoch_ms', 'datetime'] as const) {
          const [x, y] = [toTimeValue(a, format), toTimeValue(b, format)]
          expect(Math.sign(a.getTime() - b.getTime())).toBe(x < y ? -1 : x > y ? 1 : 0)
        }
      }),
    )
  })
})
