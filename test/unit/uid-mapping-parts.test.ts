import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { CircuitBreaker } from '../../src/masking/uid-mapping/circuit-breaker.js'
import { endpointUrlProblem } from '../../src/masking/uid-mapping/endpoint-url.js'
import { MicroBatcher, type BatchOutcome } from '../../src/masking/uid-mapping/micro-batcher.js'
import { foldDigits, sharesDigitRun } from '../../src/masking/digit-runs.js'
import {
  readUidMappingResponse,
  uidValueProblem,
  UidUnresolved,
} from '../../src/masking/uid-mapping/uid-mapping-protocol.js'

function recordingBatcher(windowMs = 5, maxBatchSize = 100) {
  const batches: string[][] = []
  let release: () => void = () => undefined
  const gate = new Promise<void>((resolve) => (release = resolve))
  const batcher = new MicroBatcher<string>({
    windowMs,
    maxBatchSize,
    missing: (key) => new Error(`missing ${key}`),
    execute: async (keys) => {
      batches.push([...keys])
      await gate
      const outcome: BatchOutcome<string> = new Map()
      for (const key of keys) {
        if (key !== 'skip') outcome.set(key, { ok: true, value: key.toUpperCase() })
      }
      return outcome
    },
  })
  return { batcher, batches, release }
}

describe('MicroBatcher', () => {
  it('coalesces keys waiting or in flight, and fails keys the batch did not settle', async () => {
    const { batcher, batches, release } = recordingBatcher()
    const a = batcher.load('a')
    const a2 = batcher.load('a')
    const skip = batcher.load('skip')
    await new Promise((resolve) => setTimeout(resolve, 20))
    const a3 = batcher.load('a') // in flight now
    release()
    expect(await Promise.all([a, a2, a3])).toEqual(['A', 'A', 'A'])
    await expect(skip).rejects.toThrow('missing skip')
    expect(batches).toEqual([['a', 'skip']])
  })

  it('sends a full batch without waiting for the window', async () => {
    const { batcher, batches, release } = recordingBatcher(60_000, 2)
    release()
    const loads = ['a', 'b', 'c'].map((k) => batcher.load(k))
    await Promise.all(loads.slice(0, 2))
    expect(batches).toEqual([['a', 'b']])
    batcher.failAll(new Error('closed'))
    await expect(loads[2]).rejects.toThrow('closed')
  })

  it('fails every key of a batch whose execution rejects', async () => {
    const batcher = new MicroBatcher<string>({
      windowMs: 1,
      maxBatchSize: 10,
      missing: () => new Error('missing'),
      execute: () => Promise.reject(new Error('down')),
    })
    await expect(Promise.all([batcher.load('a'), batcher.load('b')])).rejects.toThrow('down')
  })
})

describe('CircuitBreaker', () => {
  it('opens after the threshold, lets one probe through after the pause, and closes on success', () => {
    const clock = new ManualClock(0)
    const breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 1_000, clock })
    for (let i = 0; i < 3; i += 1) {
      expect(breaker.tryPass()).toBe(true)
      breaker.failure()
    }
    expect(breaker.state).toBe('open')
    expect(breaker.tryPass()).toBe(false)
    clock.advance(1_000)
    expect(breaker.state).toBe('half-open')
    expect(breaker.tryPass()).toBe(true)
    expect(breaker.tryPass()).toBe(false) // one probe at a time
    breaker.success()
    expect(breaker.state).toBe('closed')
  })

  it('re-opens when the probe fails, and a neutral outcome frees the probe slot', () => {
    const clock = new ManualClock(0)
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 100, clock })
    breaker.failure()
    clock.advance(100)
    expect(breaker.tryPass()).toBe(true)
    breaker.neutral()
    expect(breaker.tryPass()).toBe(true)
    breaker.failure()
    expect(breaker.state).toBe('open')
    clock.advance(-50) // a clock that goes backwards keeps it open
    expect(breaker.tryPass()).toBe(false)
  })
})

describe('readUidMappingResponse', () => {
  const ok = () => undefined
  it('refuses one key given two different values', () => {
    expect(() =>
      readUidMappingResponse(
        'PhoneToUID',
        {
          Code: 0,
          Results: [
            { Key: 'a', Value: 'u1' },
            { Key: 'a', Value: 'u2' },
          ],
        },
        ['a'],
        ok,
      ),
    ).toThrow(UidUnresolved)
  })

  it('accepts a key repeated with the same value, and reports each key on its own', () => {
    const outcomes = readUidMappingResponse(
      'PhoneToUID',
      {
        Code: 0,
        Results: [
          { Key: 'a', Value: 'u1' },
          { Key: 'a', Value: 'u1' },
          { Key: 'b', Value: 'bad' },
        ],
      },
      ['a', 'b', 'c'],
      (_key, value) => (value === 'bad' ? 'refused' : undefined),
    )
    expect(Object.fromEntries(outcomes)).toEqual({
      a: { ok: true, value: 'u1' },
      b: { ok: false, reason: 'invalid_response', detail: 'refused' },
      c: { ok: false, reason: 'not_found', detail: 'the endpoint left the key out of Results' },
    })
  })

  it.each([null, [], 'x', { Code: 0, Results: [null] }, { Code: 0.5, Results: [] }])(
    'refuses a malformed body as a whole: %j',
    (body) => {
      expect(() => readUidMappingResponse('UIDToPhone', body, ['a'], ok)).toThrow(
        expect.objectContaining({ reason: 'invalid_response', count: 1 }),
      )
    },
  )
})

describe('endpointUrlProblem', () => {
  it.each([
    ['https://crm.example.com/map', true],
    ['http://127.0.0.1:8080/map', true],
    ['http://localhost/map', true],
    ['http://[::1]:9000/map', true],
    ['http://10.0.0.5/map', false],
    ['http://127.0.0.1.nip.io/map', false],
    ['ftp://crm.example.com/map', false],
    ['https://crm.example.com/map#frag', false],
  ])('%s allowed: %s', (url, allowed) => {
    expect(endpointUrlProblem(url) === undefined).toBe(allowed)
  })
})

describe('digit folding', () => {
  it.each([
    ['Arabic-Indic', 0x0660],
    ['Extended Arabic-Indic', 0x06f0],
    ['Devanagari', 0x0966],
    ['Bengali', 0x09e6],
    ['Thai', 0x0e50],
    ['Myanmar', 0x1040],
    ['Myanmar Shan', 0x1090],
    ['full-width', 0xff10],
    ['mathematical bold', 0x1d7ce],
    ['mathematical monospace', 0x1d7f6],
    ['Adlam', 0x1e950],
    ['segmented', 0x1fbf0],
  ])('reads %s digits as ASCII digits', (_script, zero) => {
    const digits = Array.from({ length: 10 }, (_, k) => String.fromCodePoint(zero + k)).join('')
    expect(foldDigits(digits)).toBe('0123456789')
  })

  it('folds every decimal digit of every script to one ASCII digit', () => {
    const nd = /^\p{Nd}$/u
    for (let code = 0x80; code <= 0x10ffff; code += 1) {
      if (code >= 0xd800 && code <= 0xdfff) continue
      const char = String.fromCodePoint(code)
      if (nd.test(char)) expect(foldDigits(char)).toMatch(/^[0-9]$/)
    }
  })

  it.each([
    ['dingbat negative circled', '❶❷❸❹❺❻❼❽❾', '123456789'],
    ['dingbat circled sans-serif', '🄋➀➁➂➃➄➅➆➇➈', '0123456789'],
    ['dingbat negative circled sans-serif', '🄌➊➋➌➍➎➏➐➑➒', '0123456789'],
    ['double circled and negative circled zero', '⓿⓵⓶⓷⓸⓹⓺⓻⓼⓽', '0123456789'],
    ['Ethiopic', '፩፪፫፬፭፮፯፰፱', '123456789'],
    ['Hangzhou', '〇〡〢〣〤〥〦〧〨〩', '0123456789'],
    ['Chinese', '〇一二三四五六七八九', '0123456789'],
    ['Chinese financial', '零壹贰叁肆伍陆柒捌玖', '0123456789'],
    ['traditional financial', '零壹貳參肆伍陸柒捌玖', '0123456789'],
  ])('reads %s digits that NFKC leaves alone as ASCII digits', (_name, written, digits) => {
    expect(foldDigits(written)).toBe(digits)
  })

  it('leaves circled forms of ten and above as no single digit', () => {
    // The ten of each dingbat range, and negative circled eleven to twenty.
    for (const ten of ['❿', '➉', '➓', '⓾', '⓫', '⓴']) expect(foldDigits(ten)).toBe(ten)
  })

  it('finds five shared consecutive digits however the value is written, and not fewer', () => {
    expect(sharesDigitRun('１３９８８', '13988888888', 5)).toBe(true)
    expect(sharesDigitRun('u-٣٩٨٨٨', '13988888888', 5)).toBe(true)
    expect(sharesDigitRun('a1b3c9d8e8', '13988888888', 5)).toBe(true)
    expect(sharesDigitRun('139abcdefg', '13988888888', 5)).toBe(false)
    expect(sharesDigitRun('u-1398', '13988888888', 5)).toBe(false)
    expect(sharesDigitRun('anything', '', 5)).toBe(false)
  })
})

describe('UID values', () => {
  const cn = (nationalNumber: string) => ({ nationalNumber, region: 'CN' })
  it('refuses any UID carrying five consecutive digits of the number, in any script', () => {
    const scripts = [0x30, 0xff10, 0x0660, 0x06f0, 0x0966, 0x1d7ce]
    fc.assert(
      fc.property(
        fc.stringMatching(/^1[3-9]\d{9}$/),
        fc.nat(6),
        fc.constantFrom(...scripts),
        fc.stringMatching(/^[a-z]{0,4}$/),
        fc.stringMatching(/^[a-z]{0,4}$/),
        (nsn, at, zero, before, after) => {
          const run = [...nsn.slice(at, at + 5)].map((d) => String.fromCodePoint(zero + Number(d))).join('')
          expect(uidValueProblem(`${before}${run}${after}`, cn(nsn))).toBeDefined()
        },
      ),
    )
  })

  it('accepts a UID of the allowed form sharing at most four consecutive digits', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^1[3-9]\d{9}$/), fc.nat(7), (nsn, at) => {
        expect(uidValueProblem(`u-${nsn.slice(at, at + 4)}x`, cn(nsn))).toBeUndefined()
      }),
    )
    expect(uidValueProblem('139abcdefg', cn('13988888888'))).toBeUndefined()
  })

  const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']
  const spell = (digits: string, join: string, word: (w: string) => string = (w) => w) =>
    [...digits].map((d) => word(words[Number(d)] as string)).join(join)
  it.each([
    ['reversed', (n: string) => [...n].reverse().join('')],
    ['reversed, five digits of it', (n: string) => `u-${[...n.slice(2, 7)].reverse().join('')}`],
    ['spelled out, run together', (n: string) => spell(n, '').slice(0, 64)],
    ['spelled out in capitals, separated', (n: string) => spell(n.slice(0, 6), '-', (w) => w.toUpperCase())],
    [
      'spelled out, capitalised, with dots',
      (n: string) => spell(n.slice(3, 9), '.', (w) => w[0]!.toUpperCase() + w.slice(1)),
    ],
    ['spelled out, mixed with digits', (n: string) => `${n.slice(0, 2)}${spell(n.slice(2, 5), '')}`],
    ['spelled out, overlapping words', () => 'eightwonetwoeight'],
    ['another valid mobile number', () => '13800000001'],
    ['another valid mobile number in 00 form', () => '008613800000001'],
    ['another valid number in E.164 without +', () => '12015550123'],
    ['another valid mobile number with separators', () => '138-0000-0001'],
    ['a valid landline number', () => '02012345678'],
  ])('refuses a UID carrying a number readably: %s', (_name, uid) => {
    const nsn = '18212828282'
    expect(uidValueProblem(uid(nsn), cn(nsn))).toBeDefined()
  })

  it.each(['139abcdefg', 'u-10023', '10023', 'order-2026-0042', 'x9f3a7c2', 'network-bone', '12345678'])(
    'accepts the opaque UID %s',
    (uid) => {
      expect(uidValueProblem(uid, cn('13988888888'))).toBeUndefined()
    },
  )
})
