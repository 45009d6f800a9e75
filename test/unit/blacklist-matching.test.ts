import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseCsv, formatCsvLine } from '../../src/policy/blacklist/blacklist-csv.js'
import { parseBlacklistPattern } from '../../src/policy/blacklist/blacklist-entry.js'
import {
  bestMatch,
  candidatePatterns,
  type PatternRow,
} from '../../src/policy/blacklist/blacklist-matching.js'

describe('blacklist patterns', () => {
  it('stores numbers in E.164 and prefixes without the star', () => {
    expect(parseBlacklistPattern('139 8888 8888', 'CN')).toEqual({ kind: 'exact', pattern: '+8613988888888' })
    expect(parseBlacklistPattern('008613988888888', 'US')).toEqual({
      kind: 'exact',
      pattern: '+8613988888888',
    })
    expect(parseBlacklistPattern('+1 (201)*', 'CN')).toEqual({ kind: 'prefix', pattern: '+1201' })
    expect(parseBlacklistPattern('00852*', 'CN')).toEqual({ kind: 'prefix', pattern: '+852' })
  })

  it.each(['201*', '+1*', '+12*', '+0123*', '+1201**', '+999123*', 'abc', '+86139'])(
    'refuses %s with ERR_BLACKLIST_ENTRY_INVALID',
    (input) => {
      expect(() => parseBlacklistPattern(input, 'CN')).toThrow(
        expect.objectContaining({ code: 'ERR_BLACKLIST_ENTRY_INVALID', field: 'number' }),
      )
    },
  )

  it('never puts the number in the error message', () => {
    try {
      parseBlacklistPattern('+8613912', 'CN')
    } catch (error) {
      expect((error as Error).message).not.toContain('13912')
    }
  })
})

describe('prefix matching', () => {
  it('asks for every prefix of at least three digits, up to the number', () => {
    expect(candidatePatterns('+12015550123')).toEqual([
      '+120',
      '+1201',
      '+12015',
      '+120155',
      '+1201555',
      '+12015550',
      '+120155501',
      '+1201555012',
      '+12015550123',
    ])
  })

  it('prefers an exact entry, then the longest prefix', () => {
    const rows: PatternRow[] = [
      { kind: 'prefix', pattern: '+1201' },
      { kind: 'prefix', pattern: '+120155' },
      { kind: 'prefix', pattern: '+12015550123' },
    ]
    expect(bestMatch('+12015550123', rows)?.pattern).toBe('+12015550123')
    expect(bestMatch('+12015559999', rows)?.pattern).toBe('+120155')
    expect(bestMatch('+12015550123', [...rows, { kind: 'exact', pattern: '+12015550123' }])).toEqual({
      kind: 'exact',
      pattern: '+12015550123',
    })
    // An exact entry for a shorter number is not a prefix.
    expect(bestMatch('+4930123456789', [{ kind: 'exact', pattern: '+4930123456' }])).toBeUndefined()
  })

  it('matches exactly the prefixes a number starts with (property)', () => {
    const digits = fc.stringMatching(/^[1-9]\d{6,13}$/)
    fc.assert(
      fc.property(digits, fc.array(digits.map((d) => d.slice(0, 3 + (d.length % 8)))), (number, prefixes) => {
        const e164 = `+${number}`
        const rows = prefixes.map((p) => ({ kind: 'prefix' as const, pattern: `+${p}` }))
        const fetched = rows.filter((r) => candidatePatterns(e164).includes(r.pattern))
        const best = bestMatch(e164, fetched)
        const expected = rows
          .filter((r) => e164.startsWith(r.pattern))
          .sort((a, b) => b.pattern.length - a.pattern.length)[0]
        expect(best?.pattern).toBe(expected?.pattern)
      }),
    )
  })
})

describe('blacklist CSV', () => {
  it('reads quoted fields, CRLF, blank lines and line numbers', () => {
    const records = parseCsv('\ufeffnumber,reason\r\n"+1201*","a ""b"", c"\r\n\r\n+852*,"two\nlines"\n+86,x')
    expect(records).toEqual([
      { line: 1, fields: ['number', 'reason'] },
      { line: 2, fields: ['+1201*', 'a "b", c'] },
      { line: 4, fields: ['+852*', 'two\nlines'] },
      { line: 6, fields: ['+86', 'x'] },
    ])
    expect(parseCsv('a,"open\n')[0]?.problem).toBeDefined()
  })

  it('round-trips what it writes', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 2, maxLength: 4 }), (fields) => {
        fc.pre(fields.some((f) => f !== ''))
        expect(parseCsv(formatCsvLine(fields))[0]?.fields).toEqual(fields)
      }),
    )
  })
})
