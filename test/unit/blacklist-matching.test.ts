import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  formatCsvLine,
  fromSpreadsheetText,
  parseCsv,
  toSpreadsheetText,
} from '../../src/policy/blacklist/blacklist-csv.js'
import { parseBlacklistPattern } from '../../src/policy/blacklist/blacklist-entry.js'
import { blacklist } from '../../src/policy/blacklist/blacklist-middleware.js'
import { createPipeline, type InboundCall, type OutboundCall } from '../../src/pipeline/index.js'
import {
  BlacklistSnapshots,
  type SnapshotEntry,
  type SnapshotSource,
} from '../../src/policy/blacklist/blacklist-snapshot.js'

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

describe('matching against the in-memory list', () => {
  const entry = (pattern: string, over: Partial<SnapshotEntry> = {}): SnapshotEntry => ({
    id: `bl-${pattern}`,
    kind: 'prefix',
    pattern,
    direction: 'both',
    reason: null,
    expiresAt: null,
    ...over,
  })
  /** A source over a fixed list that counts what it is asked. */
  const source = (entries: SnapshotEntry[], version = { value: 1 }) => {
    const calls = { version: 0, load: 0 }
    const src: SnapshotSource = {
      version: async () => {
        calls.version += 1
        return version.value
      },
      load: async () => {
        calls.load += 1
        return { version: version.value, entries: [...entries] }
      },
    }
    return { src, calls, version }
  }
  const at = new Date('2026-11-21T10:00:00Z')

  it("prefers an active exact entry, then the longest active prefix, in the call's direction", async () => {
    const { src } = source([
      entry('+1201'),
      entry('+120155', { direction: 'inbound' }),
      entry('+12015550123', { kind: 'exact', direction: 'outbound' }),
      entry('+4930123456', { kind: 'exact' }),
      entry('+1202', { expiresAt: at.getTime() }),
    ])
    const lists = new BlacklistSnapshots({ source: src })
    const match = async (e164: string, direction: 'inbound' | 'outbound') =>
      (await lists.match('acme', e164, direction, at))?.pattern
    expect(await match('+12015550123', 'outbound')).toBe('+12015550123')
    expect(await match('+12015550123', 'inbound')).toBe('+120155')
    expect(await match('+12015559999', 'outbound')).toBe('+1201')
    // An exact entry for a shorter number is not a prefix; an entry expired at `at` is gone.
    expect(await match('+4930123456789', 'outbound')).toBeUndefined()
    expect(await match('+12025550123', 'outbound')).toBeUndefined()
    expect((await lists.match('acme', '+12025550123', 'outbound', new Date(at.getTime() - 1)))?.pattern).toBe(
      '+1202',
    )
  })

  it('matches exactly the longest prefix a number starts with (property)', async () => {
    const digits = fc.stringMatching(/^[1-9]\d{6,13}$/)
    await fc.assert(
      fc.asyncProperty(
        digits,
        fc.array(digits.map((d) => d.slice(0, 3 + (d.length % 8)))),
        async (number, prefixes) => {
          const e164 = `+${number}`
          const entries = [...new Set(prefixes)].map((p) => entry(`+${p}`))
          const lists = new BlacklistSnapshots({ source: source(entries).src })
          const expected = entries
            .filter((r) => e164.startsWith(r.pattern))
            .sort((a, b) => b.pattern.length - a.pattern.length)[0]
          expect((await lists.match('acme', e164, 'outbound', at))?.pattern).toBe(expected?.pattern)
        },
      ),
    )
  })

  it('trusts its copy for refreshMs, then checks the version and reloads only on a change', async () => {
    let now = 0
    const { src, calls, version } = source([entry('+1201')])
    const lists = new BlacklistSnapshots({ source: src, refreshMs: 1000, timer: () => now })
    await Promise.all([1, 2, 3].map(() => lists.match('acme', '+12015550123', 'outbound', at)))
    expect(calls).toEqual({ version: 0, load: 1 }) // concurrent first matches share one load
    now = 999
    await lists.match('acme', '+12015550123', 'outbound', at)
    expect(calls).toEqual({ version: 0, load: 1 })
    now = 1000
    await lists.match('acme', '+12015550123', 'outbound', at)
    expect(calls).toEqual({ version: 1, load: 1 }) // unchanged: one keyed read, no reload
    version.value = 2
    now = 2000
    await lists.match('acme', '+12015550123', 'outbound', at)
    expect(calls).toEqual({ version: 2, load: 2 })
    lists.invalidate('acme') // a change through this process: reload at once
    await lists.match('acme', '+12015550123', 'outbound', at)
    expect(calls.load).toBe(3)
    // Tenants have separate copies.
    await lists.match('other', '+12015550123', 'outbound', at)
    expect(calls.load).toBe(4)
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

  it('writes free text that would start a spreadsheet formula with a leading quote, and reads it back', () => {
    for (const text of ['=1+1', '+cmd', '-2', '@SUM(A1)', '\tx']) {
      expect(toSpreadsheetText(text)).toBe(`'${text}`)
      expect(fromSpreadsheetText(toSpreadsheetText(text))).toBe(text)
    }
    for (const text of ['spam', "'quoted", 'a=b', '']) {
      expect(toSpreadsheetText(text)).toBe(text)
      expect(fromSpreadsheetText(text)).toBe(text)
    }
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("'", '=', '+', 'a', '-', ' ') }), (text) => {
        expect(fromSpreadsheetText(toSpreadsheetText(text))).toBe(text)
        expect([text, `'${text}`]).toContain(toSpreadsheetText(text))
      }),
    )
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

describe('blacklist middleware', () => {
  const listed = new Set(['+8613900000000'])
  const list = {
    match: async (_tenantId: string, e164: string) =>
      listed.has(e164) ? { id: 'bl-1', direction: 'both' as const, kind: 'exact' as const } : undefined,
  }

  it('judges the party its direction names, whatever the event carries', async () => {
    const outbound = createPipeline<OutboundCall>().use(blacklist({ direction: 'outbound', list }))
    const call = { type: 'outbound', tenantId: 'acme', callId: 'c-1' } as const
    // Even an event posing as inbound is judged by its callee in an outbound check.
    const posing = { ...call, type: 'inbound', caller: '+8613900000000', callee: '+8613988888888' }
    expect((await outbound.run(posing as never)).verdict).toBe('allow')
    expect(
      (await outbound.run({ ...call, caller: '+8613988888888', callee: '+8613900000000' })).verdict,
    ).toBe('deny')
    const inbound = createPipeline<InboundCall>().use(blacklist({ direction: 'inbound', list }))
    const arriving = { type: 'inbound', tenantId: 'acme', callId: 'c-2' } as const
    expect(
      (await inbound.run({ ...arriving, caller: '+8613900000000', callee: '+8613988888888' })).verdict,
    ).toBe('deny')
    expect(
      (await inbound.run({ ...arriving, caller: '+8613988888888', callee: '+8613900000000' })).verdict,
    ).toBe('allow')
  })

  it('needs a direction', () => {
    expect(() => blacklist({ list } as never)).toThrow(TypeError)
  })
})
