/**
 * Redaction of free text: each detector's checksum and boundary rules, the order detectors
 * run in, the public contract of redactText, and properties over random text.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CallwardenError } from '../../src/errors.js'
import {
  REDACTION_KINDS,
  REDACTION_LOCALES,
  REDACTION_TOKENS,
  redactPhoneNumbers,
  redactText,
  type RedactionFinding,
} from '../../src/masking/index.js'
import { findBankCards, isLuhnValid } from '../../src/masking/redaction/bank-card.js'
import {
  cnResidentIdCheckChar,
  findCnResidentIds,
  isValidCnResidentId,
} from '../../src/masking/redaction/cn-resident-id.js'
import { findEmails } from '../../src/masking/redaction/email.js'
import { findPhones } from '../../src/masking/redaction/phone-in-text.js'
import { applyFindings, toOriginal } from '../../src/masking/redaction/redact-text.js'
import { foldForSearch } from '../../src/masking/redaction/text-boundaries.js'
import { breakLuhn, card, cnId, cnIdBadCheck, group } from '../fixtures/redaction/generators.js'

const spansOf = (found: readonly { start: number; end: number }[], text: string) =>
  found.map((s) => text.slice(s.start, s.end))

describe('CN resident ID numbers', () => {
  it('checks the MOD 11-2 character, including X in either case', () => {
    expect(cnResidentIdCheckChar('11010519491231002')).toBe('X')
    expect(isValidCnResidentId('11010519491231002X')).toBe(true)
    expect(isValidCnResidentId('11010519491231002x')).toBe(true)
    for (const c of '0123456789') expect(isValidCnResidentId(`11010519491231002${c}`)).toBe(false)
    const id = cnId('440305', '19880229', '123')
    expect(isValidCnResidentId(id)).toBe(true)
    expect(isValidCnResidentId(cnIdBadCheck('440305', '19880229', '123'))).toBe(false)
  })

  it('every check character value occurs and validates', () => {
    const seen = new Set<string>()
    for (let seq = 0; seq < 200; seq += 1) {
      const id = cnId('310104', '19750615', String(seq).padStart(3, '0'))
      seen.add(id[17]!)
      expect(isValidCnResidentId(id)).toBe(true)
    }
    expect([...seen].sort().join('')).toBe('0123456789X')
  })

  it('requires a real birth date between 1900 and 2099', () => {
    expect(isValidCnResidentId(cnId('110105', '20000229', '001'))).toBe(true) // leap (400)
    expect(isValidCnResidentId(cnId('110105', '19000229', '001'))).toBe(false) // not leap (100)
    expect(isValidCnResidentId(cnId('110105', '20230229', '001'))).toBe(false)
    expect(isValidCnResidentId(cnId('110105', '19900431', '001'))).toBe(false)
    expect(isValidCnResidentId(cnId('110105', '19901301', '001'))).toBe(false)
    expect(isValidCnResidentId(cnId('110105', '19900100', '001'))).toBe(false)
    expect(isValidCnResidentId(cnId('110105', '18991231', '001'))).toBe(false)
    expect(isValidCnResidentId(cnId('110105', '21000101', '001'))).toBe(false)
    expect(isValidCnResidentId(cnId('010105', '19900101', '001'))).toBe(false) // region 0xxxxx
  })

  it('finds IDs whole or grouped 6-8-4, never inside longer tokens', () => {
    const id = cnId('110105', '19491231', '002')
    const grouped = `${id.slice(0, 6)} ${id.slice(6, 14)} ${id.slice(14)}`
    const text = `身份证${id}，或 ${grouped}。ID:${id.toLowerCase()}`
    expect(spansOf(findCnResidentIds(text), text)).toEqual([id, grouped, id.toLowerCase()])
    for (const glued of [`9${id}`, `${id}7`, `A${id}`, `${id}b`, `No-${id}`, `${id}@qq.com`, `1.${id}`]) {
      expect(findCnResidentIds(glued)).toEqual([])
    }
  })
})

describe('bank cards', () => {
  it('Luhn', () => {
    for (const n of ['4111111111111111', '5555555555554444', '378282246310005', '6205500000000000004']) {
      expect(isLuhnValid(n)).toBe(true)
      expect(isLuhnValid(breakLuhn(n))).toBe(false)
    }
    expect(isLuhnValid('')).toBe(false)
    expect(isLuhnValid('4111 1111')).toBe(false)
  })

  it('finds 13 to 19 digits, whole and in printed groupings', () => {
    const cases = [
      card('4000', 13),
      '4111111111111111',
      '6205500000000000004',
      group('4111111111111111', [4, 4, 4, 4]),
      group('4111111111111111', [4, 4, 4, 4], '-'),
      group('6205500000000000004', [4, 4, 4, 4]),
      group('378282246310005', [4, 6, 5]),
      group('30569309025904', [4, 6, 4], '-'),
      group(card('4000', 13), [4, 4, 4]),
    ]
    for (const c of cases) {
      const text = `卡号${c}，谢谢`
      expect(spansOf(findBankCards(text), text)).toEqual([c])
    }
  })

  it('rejects wrong lengths, failed checksums, mixed separators and longer runs', () => {
    const rejected = [
      card('4000', 12),
      card('4000', 20),
      breakLuhn('4111111111111111'),
      '4111 1111-1111 1111',
      '4111  1111 1111 1111',
      group(card('4000', 20), [4, 4, 4, 4, 4]),
      `4111111111111111${'0'}`,
      'SN4111111111111111',
      'ORD-4111111111111111',
      '4111111111111111-A',
      '0.4111111111111111',
      '4111111111111111.25',
      `${group('4111111111111111', [4, 4, 4, 4])} 1234`,
      `5678 ${group('4111111111111111', [4, 4, 4, 4])}`,
    ]
    for (const text of rejected) expect(findBankCards(text), text).toEqual([])
  })

  it('keeps an expiry date or a short group after a card outside the match', () => {
    const text = 'card 4111 1111 1111 1111 12/27, cvv 123'
    expect(spansOf(findBankCards(text), text)).toEqual(['4111 1111 1111 1111'])
  })
})

describe('e-mail addresses', () => {
  it('finds addresses, without a sentence-ending dot', () => {
    const text = '邮箱zhang.san+cc@mail.example.com.cn。Or li_lei@example.org. Or 13912345678@163.com'
    expect(spansOf(findEmails(text), text)).toEqual([
      'zhang.san+cc@mail.example.com.cn',
      'li_lei@example.org',
      '13912345678@163.com',
    ])
  })

  it('ignores things that only look like addresses', () => {
    for (const text of ['a@b', '@example.com', 'user@-example.com', 'user@example.c0m', 'v1.2@3.4']) {
      expect(findEmails(text), text).toEqual([])
    }
  })
})

describe('redactText', () => {
  it('redacts every kind and reports offsets into the original text', () => {
    const id = cnId('110105', '19491231', '002')
    const text = `身份证${id}，卡 4111 1111 1111 1111，邮箱 li@example.cn，手机 139 1234 5678。`
    const { text: out, findings } = redactText(text)
    expect(out).toBe('身份证[CN_ID]，卡 [CARD]，邮箱 [EMAIL]，手机 [PHONE]。')
    expect(findings.map((f) => [f.kind, text.slice(f.start, f.end), f.replacement])).toEqual([
      ['cn-resident-id', id, '[CN_ID]'],
      ['bank-card', '4111 1111 1111 1111', '[CARD]'],
      ['email', 'li@example.cn', '[EMAIL]'],
      ['phone', '139 1234 5678', '[PHONE]'],
    ])
  })

  it('an ID or card is never also a phone; a phone in an address is part of the address', () => {
    const id = cnId('130102', '19900307', '757')
    const findings = redactText(`${id} 6205500000000000004 13912345678@163.com`).findings
    expect(findings.map((f) => f.kind)).toEqual(['cn-resident-id', 'bank-card', 'email'])
  })

  it('an 18-digit string that is both a valid ID and Luhn-valid is an ID', () => {
    let both: string | undefined
    for (let seq = 0; seq < 1000 && both === undefined; seq += 1) {
      const id = cnId('320102', '19800101', String(seq).padStart(3, '0'))
      if (!id.endsWith('X') && isLuhnValid(id)) both = id
    }
    expect(both).toBeDefined()
    expect(redactText(`no ${both}`).findings.map((f) => f.kind)).toEqual(['cn-resident-id'])
  })

  it('reads national phone numbers in the locale region', () => {
    expect(redactText('call (201) 555-0123 today', { locale: 'US' }).text).toBe('call [PHONE] today')
    expect(redactText('ring 020 7946 0123', { locale: 'GB' }).text).toBe('ring [PHONE]')
    expect(redactText('appelez le 06 12 34 56 78', { locale: 'FR' }).text).toBe('appelez le [PHONE]')
    expect(redactText('手机13912345678').text).toBe('手机[PHONE]')
    // International numbers are found whatever the locale.
    expect(redactText('+86 139 1234 5678', { locale: 'FR' }).text).toBe('[PHONE]')
  })

  it('a comma or semicolon between numbers separates them (no dialling pauses in notes)', () => {
    const { findings } = redactText('电话13912345678,13812345678;010-62345678')
    expect(findings.map((f) => f.end - f.start)).toEqual([11, 11, 12])
    const fr = redactText('06 12 34 56 78, 05/03/2024', { locale: 'FR' })
    expect(fr.text).toBe('[PHONE], 05/03/2024')
  })

  it('reads full-width digits and @ as typed with a Chinese input method', () => {
    const { text } = redactText('手机１３９１２３４５６７８，邮箱ｌｉ＠ｅｘａｍｐｌｅ．ｃｎ')
    expect(text).toBe('手机[PHONE]，邮箱[EMAIL]')
  })

  it('leaves look-alikes alone', () => {
    const cases: [string, 'CN' | 'US' | 'GB' | 'FR'][] = [
      ['订单号 202403051234567890，日期 2024-03-05 / 20240305，金额 ¥1,234.56，邮编 518000', 'CN'],
      ['时间 2024-03-05 14:30:00，时间戳 1709620200 / 1709620200123，快递 SF1234567890123', 'CN'],
      ['Invoice INV-2024-000123, $12,345.00 paid on 03/05/2024, ZIP 94105-1234', 'US'],
      ['Tracking 1Z999AA10123456784, order #100234567, 12:45 PM', 'US'],
      ['Postcode SW1A 1AA, order 20240305-7781, £1,234.56 on 05/03/2024', 'GB'],
      ['Commande n° 2024030512, 1 234,56 €, le 05/03/2024 à 14h30, CP 75008', 'FR'],
    ]
    for (const [text, locale] of cases) expect(redactText(text, { locale }).findings, text).toEqual([])
  })

  it('rejects unknown locales with ERR_CONFIG_INVALID and wrong types with TypeError', () => {
    expect(() => redactText('x', { locale: 'DE' as never })).toThrow(CallwardenError)
    expect(() => redactText('x', { locale: 'cn' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    )
    expect(() => redactText(42 as never)).toThrow(TypeError)
    expect(() => redactText(null as never)).toThrow(TypeError)
    expect(() => redactText('x', { locale: 86 as never })).toThrow(TypeError)
    expect(() => redactText('x', 'CN' as never)).toThrow(TypeError)
  })

  it('tokens and kinds are closed sets', () => {
    expect(Object.keys(REDACTION_TOKENS)).toEqual([...REDACTION_KINDS])
    expect(REDACTION_LOCALES).toEqual(['CN', 'US', 'GB', 'FR'])
    expect(Object.isFrozen(redactText('13912345678').findings)).toBe(true)
  })
})

describe('privacy', () => {
  it('findings carry kind, offsets and token, never the value', () => {
    const id = cnId('110105', '19491231', '002')
    const text = `${id} 4111111111111111 li@example.cn 13912345678`
    for (const finding of redactText(text).findings) {
      expect(Object.keys(finding).sort()).toEqual(['end', 'kind', 'replacement', 'start'])
      const serialised = JSON.stringify(finding)
      for (const secret of [id, '4111111111111111', 'li@example.cn', '13912345678', '1391234']) {
        expect(serialised).not.toContain(secret)
      }
    }
  })

  it('errors never repeat the text', () => {
    const secret = '13912345678'
    try {
      redactText(secret, { locale: secret as never })
      expect.unreachable()
    } catch (error) {
      expect((error as Error).message).not.toContain('1391234')
    }
  })
})

describe('properties', () => {
  const validId = fc
    .record({
      region: fc.integer({ min: 110000, max: 829999 }),
      date: fc.date({
        min: new Date('1900-01-01T00:00:00Z'),
        max: new Date('2099-12-31T00:00:00Z'),
        noInvalidDate: true,
      }),
      seq: fc.integer({ min: 0, max: 999 }),
      lower: fc.boolean(),
    })
    .map(({ region, date, seq, lower }) => {
      const birth = date.toISOString().slice(0, 10).replaceAll('-', '')
      const id = cnId(String(region), birth, String(seq).padStart(3, '0'))
      return lower ? id.toLowerCase() : id
    })
  const validCard = fc
    .record({
      prefix: fc.constantFrom('4', '51', '55', '2221', '34', '37', '6011', '62', '35'),
      length: fc.integer({ min: 13, max: 19 }),
      body: fc.stringMatching(/^\d{19}$/),
    })
    .map(({ prefix, length, body }) => card(prefix + body, length))
  const email = fc
    .emailAddress()
    .filter((e) => /^[A-Za-z0-9_%+\-.]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/.test(e) && !/\.\.|^\.|\.@/.test(e))
  const secret = fc.oneof(
    validId.map((value) => ({ value, kind: 'cn-resident-id' })),
    validCard.map((value) => ({ value, kind: 'bank-card' })),
    email.map((value) => ({ value, kind: 'email' })),
  )
  // Filler that cannot glue itself onto a planted value: words and punctuation with spaces.
  const filler = fc
    .array(fc.constantFrom('客户', '来电', 'note', 'order', '，', '。', ': ', '¥12.50', '2024-03-05', ' '), {
      maxLength: 6,
    })
    .map((words) => ` ${words.join(' ')} `)
  const freeText = fc.string({
    unit: fc.constantFrom(...'0123456789 -.,:@+()#*xX中文abcZ'.split('')),
    maxLength: 60,
  })
  const locale = fc.constantFrom(...REDACTION_LOCALES)

  it('a planted ID, card or address never survives, and is reported with its kind and offsets', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(filler, secret), { minLength: 1, maxLength: 4 }),
        filler,
        locale,
        (parts, tail, loc) => {
          let text = ''
          const planted: { start: number; end: number; kind: string; value: string }[] = []
          for (const [before, s] of parts) {
            text += before
            planted.push({
              start: text.length,
              end: text.length + s.value.length,
              kind: s.kind,
              value: s.value,
            })
            text += s.value
          }
          text += tail
          const result = redactText(text, { locale: loc })
          for (const p of planted) {
            expect(result.text).not.toContain(p.value)
            expect(result.findings).toContainEqual(
              expect.objectContaining({ start: p.start, end: p.end, kind: p.kind }),
            )
          }
        },
      ),
    )
  })

  const consistent = (text: string, out: string, findings: readonly RedactionFinding[]) => {
    let rebuilt = ''
    let at = 0
    for (const f of findings) {
      expect(f.start).toBeGreaterThanOrEqual(at)
      expect(f.end).toBeGreaterThan(f.start)
      expect(f.replacement).toBe(REDACTION_TOKENS[f.kind])
      rebuilt += text.slice(at, f.start) + f.replacement
      at = f.end
    }
    expect(at).toBeLessThanOrEqual(text.length)
    expect(rebuilt + text.slice(at)).toBe(out)
  }

  it('findings are ordered, disjoint and rebuild the output from the original', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          freeText,
          fc.tuple(filler, secret, freeText).map(([a, s, b]) => a + s.value + b),
        ),
        locale,
        (text, loc) => {
          const { text: out, findings } = redactText(text, { locale: loc })
          consistent(text, out, findings)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('is idempotent and deterministic', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          freeText,
          fc.tuple(freeText, secret, freeText).map(([a, s, b]) => `${a} ${s.value} ${b}`),
        ),
        locale,
        (text, loc) => {
          const once = redactText(text, { locale: loc })
          expect(redactText(once.text, { locale: loc }).text).toBe(once.text)
          expect(redactText(text, { locale: loc })).toEqual(once)
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('redactPhoneNumbers', () => {
  it.each([
    ['call-back 13912345678 please', 'call-back [PHONE] please'],
    ['web form, +86 139 1234 5678', 'web form, [PHONE]'],
    ['tel:+8613912345678', 'tel:[PHONE]'],
    ['landline 02088887697', 'landline [PHONE]'],
    ['１３９１２３４５６７８', '[PHONE]'],
    ['13912345678,13812345678', '[PHONE],[PHONE]'],
    ['2026-12-08 13912345678', '2026-12-08 [PHONE]'],
    ['on 2026/12/08 call 139 1234 5678', 'on 2026/12/08 call [PHONE]'],
    ['(020) 8888-7697', '[PHONE]'],
  ])('redacts the phone numbers in %j', (text, expected) => {
    expect(redactPhoneNumbers(text)).toBe(expected)
  })

  it.each([
    '2026-12-08T10:00:00Z',
    '20261208100000',
    '1765188000000',
    '12:30 2026/12/08',
    '¥1,234.56',
    'amount 13912345678.00',
    'ORD-20261208-0001',
    'INV-2024-000123',
    'ticket #139123456789',
    'ID 11010519491231002X',
    'uuid 550e8400-e29b-41d4-a716-446655440000',
    'card 4111 1111 1111 1111',
  ])('keeps %j, which holds no phone number', (text) => {
    expect(redactPhoneNumbers(text)).toBe(text)
  })

  const N = '13912345678'
  it.each([
    'Tel13912345678',
    'mobile13912345678',
    'call13912345678 now',
    'ID-13912345678',
    'x_13912345678',
    '13912345678abc',
    'a/13912345678',
    'x13912345678x',
    'ref+8613912345678',
    'ref008613912345678',
    'Tel+447911123456',
  ])('redacts a whole phone number glued to letters: %j', (text) => {
    const out = redactPhoneNumbers(text)
    expect(out).toContain('[PHONE]')
    expect(out).not.toMatch(/\d{6}/)
    expect(redactText(text).text).toBe(out)
  })

  it.each([
    'SF1234567890123',
    'ORD20261208',
    'order-100234567',
    'v2x139123456789',
    'INV-2024-000123',
    'ts1765188000000',
  ])('keeps a digit run glued to letters that is no whole mobile number: %j', (text) => {
    expect(redactPhoneNumbers(text)).toBe(text)
  })

  const inScript = (first: number) => (text: string) =>
    [...text].map((d) => String.fromCodePoint(first + Number(d))).join('')
  const fromTable = (table: string) => (text: string) => [...text].map((d) => [...table][Number(d)]).join('')
  it.each([
    ['mathematical bold digits', inScript(0x1d7ce)(N)],
    ['mathematical monospace digits', inScript(0x1d7f6)(N)],
    ['superscript digits', fromTable('⁰¹²³⁴⁵⁶⁷⁸⁹')(N)],
    ['circled digits', fromTable('⓪①②③④⑤⑥⑦⑧⑨')(N)],
    ['dingbat negative circled digits', fromTable('⓿❶❷❸❹❺❻❼❽❾')(N)],
    ['Thai digits', inScript(0x0e50)(N)],
    ['Arabic-Indic digits', inScript(0x0660)(N)],
    ['Chinese numerals', fromTable('〇一二三四五六七八九')(N)],
    ['zero-width spaces between digits', [...N].join('\u200b')],
    ['word joiners between digits', [...N].join('\u2060')],
    ['soft hyphens between digits', [...N].join('\u00ad')],
    ['combining marks on digits', [...N].join('\u0301')],
    ['keycaps', [...N].map((d) => `${d}\ufe0f\u20e3`).join('')],
  ])('redacts a phone number written in %s, covering every original character', (_name, written) => {
    const text = `客户 ${written} 来电`
    expect(redactPhoneNumbers(text)).toBe('客户 [PHONE] 来电')
    const { text: out, findings } = redactText(text)
    expect(out).toBe('客户 [PHONE] 来电')
    expect(findings.map((f) => text.slice(f.start, f.end))).toEqual([written])
  })

  it('reads Chinese numerals as digits only in runs, so a number followed by a word still ends', () => {
    expect(redactPhoneNumbers('13912345678一直没接')).toBe('[PHONE]一直没接')
    expect(redactPhoneNumbers('三月一日 13912345678')).toBe('三月一日 [PHONE]')
  })

  it('skips only text the matcher would find no number in', () => {
    const piece = fc.constantFrom(
      '13912345678',
      '+86 139 1234 5678',
      '020-8888-7697',
      '2026-12-08',
      '2026/12/08',
      'T10:00:00Z',
      '20261208100000',
      '1,280.00',
      'ORD-',
      ' ',
      '-',
      '/',
      'x',
      '7',
      '0086',
      'Tel',
      '_',
      'ID-',
      '\u200b',
      '\u0301',
      '\u00ad',
      '    ',
      '𝟏𝟑𝟗',
      '¹²³⁴',
      '①③⑨',
      '๑๒๓๔๕๖๗๘',
      '一三九',
      '1\u200b3\u200b9\u200b1\u200b2\u200b3\u200b4\u200b5\u200b6\u200b7\u200b8',
    )
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const text = pieces.join('')
        const search = foldForSearch(text)
        const unfiltered = applyFindings(text, toOriginal(search, findPhones(search.text, 'CN'))).text
        expect(redactPhoneNumbers(text)).toBe(unfiltered)
      }),
      { numRuns: 2000 },
    )
  })

  it('reads national numbers in the locale, and refuses an unknown locale with a code', () => {
    expect(redactPhoneNumbers('(201) 555-0123', { locale: 'US' })).toBe('[PHONE]')
    expect(() => redactPhoneNumbers('x', { locale: 'DE' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    )
    expect(() => redactPhoneNumbers(1 as never)).toThrow(TypeError)
  })
})
