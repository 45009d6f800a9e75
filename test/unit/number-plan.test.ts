import fc from 'fast-check'
import {
  ParseError,
  parsePhoneNumberWithError,
  validatePhoneNumberLength,
  type CountryCode,
} from 'libphonenumber-js/max'
import metadata from 'libphonenumber-js/max/metadata'
import examples from 'libphonenumber-js/mobile/examples'
import { describe, expect, it } from 'vitest'
import { InternationalReading, readInternationalNumber } from '../../src/masking/number-plan.js'
import { parseNumber } from '../../src/masking/phone-number.js'

/** Every property below runs from this seed: the same numbers on every run. */
const SEED = 20_261_121
const RUNS_PER_CALLING_CODE = 60
const RUNS_PER_EXAMPLE = 12
const RUNS_PER_TYPE_PATTERN = 4
const RUNS_PER_NATIONAL_PREFIX = 12
/** The regions national numbers are read in; a `+` number must not depend on it. */
const DEFAULT_REGIONS = ['CN', 'US', 'GB', 'DE', 'IN'] as const
/** Longer national numbers than the library ever accepts (its maximum is 17). */
const MAX_GENERATED_LENGTH = 19

/** The metadata fields read here (minified plan, metadata v4). */
const PLAN = { possibleLengths: 3, nationalPrefix: 5, nationalPrefixForParsing: 7, types: 11 } as const
type RawPlan = readonly unknown[]
const raw = metadata as unknown as {
  country_calling_codes: Record<string, string[]>
  countries: Record<string, RawPlan>
  nonGeographic: Record<string, RawPlan>
}
const CALLING_CODES = [...Object.keys(raw.country_calling_codes), ...Object.keys(raw.nonGeographic)]

type View =
  | { rejected: string }
  | {
      countryCode: string
      nationalNumber: string
      region: string | undefined
      length: string | undefined
      type: string | undefined
    }

/** What plain libphonenumber-js says about `text` read in `region`: the parse, length verdict and type. */
function libraryView(text: string, region: string): View {
  try {
    const phone = parsePhoneNumberWithError(text, { defaultCountry: region as CountryCode, extract: false })
    return {
      countryCode: String(phone.countryCallingCode),
      nationalNumber: String(phone.nationalNumber),
      region: phone.country,
      length: phone.isPossible() ? 'IS_POSSIBLE' : validatePhoneNumberLength(text, region as CountryCode),
      type: phone.getType(),
    }
  } catch (error) {
    if (error instanceof ParseError) return { rejected: error.message }
    throw error
  }
}

/** The compiled reading of the same, or `undefined` where it leaves the number to the library. */
function compiledView(text: string, region: string): View | undefined {
  const reading = readInternationalNumber(text, region)
  if (reading === undefined) return undefined
  if (!(reading instanceof InternationalReading)) return { rejected: reading }
  const { countryCode, nationalNumber, length, type } = reading
  return { countryCode, nationalNumber, region: reading.region, length, type }
}

/** How many numbers a test compared, and how many the compiled reading left to the library. */
class Tally {
  compared = 0
  fallbacks = 0
  readonly comparedByCode = new Map<string, number>()

  /** The property: the compiled reading never differs from libphonenumber-js, field by field. */
  expectSameAsLibrary(code: string, national: string, region: string): void {
    const text = `+${code}${national}`
    const compiled = compiledView(text, region)
    if (compiled === undefined) {
      this.fallbacks += 1
      return
    }
    expect(compiled, text).toEqual(libraryView(text, region))
    this.compared += 1
    this.comparedByCode.set(code, (this.comparedByCode.get(code) ?? 0) + 1)
  }
}

const digits = (length: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: length, maxLength: length }).map((d) => d.join(''))
const defaultRegion = fc.constantFrom(...DEFAULT_REGIONS)

function plansOf(code: string): RawPlan[] {
  const regions = raw.country_calling_codes[code]
  return regions === undefined ? [raw.nonGeographic[code]!] : regions.map((r) => raw.countries[r]!)
}

/** Every length a number of the calling code can have (any region, any type), and one either side. */
function lengthsOf(code: string): number[] {
  const lengths = new Set<number>()
  for (const plan of plansOf(code)) {
    const types = (plan[PLAN.types] || []) as readonly (0 | readonly [string, number[]?])[]
    const all = [plan[PLAN.possibleLengths] as number[], ...types.map((t) => (t && t[1]) || [])]
    for (const length of all.flat()) for (const near of [length - 1, length, length + 1]) lengths.add(near)
  }
  return [...lengths].filter((l) => l >= 1 && l <= MAX_GENERATED_LENGTH).sort((a, b) => a - b)
}

describe('compiled reading of E.164 numbers', () => {
  it('reads random national numbers of every possible length (and ±1) under every calling code as libphonenumber does', () => {
    const tally = new Tally()
    for (const code of CALLING_CODES) {
      const number = fc.constantFrom(...lengthsOf(code)).chain(digits)
      fc.assert(
        fc.property(number, defaultRegion, (national, region) =>
          tally.expectSameAsLibrary(code, national, region),
        ),
        { seed: SEED, numRuns: RUNS_PER_CALLING_CODE },
      )
    }
    // Every geographic calling code was read, not only left to the library.
    for (const code of Object.keys(raw.country_calling_codes)) {
      expect(tally.comparedByCode.get(code) ?? 0, `calling code ${code}`).toBeGreaterThan(0)
    }
    expect(tally.fallbacks).toBeLessThan(tally.compared / 4)
  })

  it("reads numbers built from each region's example number with a random tail", () => {
    const tally = new Tally()
    for (const [region, example] of Object.entries(examples as Record<string, string>)) {
      const code = raw.countries[region]![0] as string
      const number = fc
        .record({ keep: fc.nat({ max: example.length }), change: fc.integer({ min: -1, max: 1 }) })
        .chain(({ keep, change }) =>
          digits(Math.max(0, example.length - keep + change)).map((tail) => example.slice(0, keep) + tail),
        )
      fc.assert(
        fc.property(number, defaultRegion, (national, reader) =>
          tally.expectSameAsLibrary(code, national, reader),
        ),
        { seed: SEED, numRuns: RUNS_PER_EXAMPLE },
      )
    }
    // Real-looking numbers rarely need the library.
    expect(tally.fallbacks).toBeLessThan(tally.compared / 20)
  })

  it("reads numbers of every type of every region (drawn from the region's own patterns)", () => {
    const tally = new Tally()
    for (const [region, plan] of Object.entries(raw.countries)) {
      const code = plan[0] as string
      for (const type of (plan[PLAN.types] || []) as readonly (0 | readonly [string])[]) {
        if (!type || !type[0]) continue
        const number = fc.stringMatching(new RegExp(`^(?:${type[0]})$`))
        fc.assert(
          fc.property(number, defaultRegion, (national, reader) =>
            tally.expectSameAsLibrary(code, national, reader),
          ),
          { seed: SEED, numRuns: RUNS_PER_TYPE_PATTERN },
        )
      }
      expect(tally.comparedByCode.get(code) ?? 0, `region ${region}`).toBeGreaterThan(0)
    }
    expect(tally.fallbacks).toBeLessThan(tally.compared / 20)
  })

  it('leaves national numbers with a national prefix or carrier code to the library, or reads them as it does', () => {
    const tally = new Tally()
    for (const code of Object.keys(raw.country_calling_codes)) {
      const main = plansOf(code)[0]!
      const forParsing = (main[PLAN.nationalPrefixForParsing] || main[PLAN.nationalPrefix]) as string | 0
      if (!forParsing) continue
      const lengths = fc.constantFrom(...lengthsOf(code))
      const number = fc.oneof(
        // The trunk prefix written before a national number ('0' in CN and GB, '1' in NANP, '8' in RU)...
        lengths.chain(digits).map((national) => `${String(main[PLAN.nationalPrefix] || '')}${national}`),
        // ...and anything the national-prefix-for-parsing pattern matches (carrier codes, transforms).
        fc.stringMatching(new RegExp(`^(?:${forParsing})\\d{0,12}$`)),
      )
      fc.assert(
        fc.property(number, defaultRegion, (national, region) =>
          tally.expectSameAsLibrary(code, national, region),
        ),
        { seed: SEED, numRuns: RUNS_PER_NATIONAL_PREFIX },
      )
    }
    // Mostly left to the library, which strips such prefixes; what is read is read alike.
    expect(tally.fallbacks).toBeGreaterThan(tally.compared)
  })

  it.each([
    ['+1', 'TOO_SHORT'],
    ['+86', 'TOO_SHORT'],
    ['+861', 'TOO_SHORT'],
    ['+355', 'TOO_SHORT'],
    ['+86139', 'TOO_SHORT'],
    ['+12', 'TOO_SHORT'],
    ['+1201555012', 'TOO_SHORT'],
    ['+120155501234', 'TOO_LONG'],
    ['+861398888888812345678', 'TOO_LONG'],
    ['+4930123456789012345', 'TOO_LONG'],
    ['+99912345678', 'INVALID_COUNTRY'],
    ['+012345678', 'INVALID_COUNTRY'],
    ['+2812345678', 'INVALID_COUNTRY'],
    ['+8613988888888', 'MOBILE'],
    ['+12015550123', 'FIXED_LINE_OR_MOBILE'],
    ['+19005550123', 'PREMIUM_RATE'],
    ['+33810123456', 'SHARED_COST'],
    ['+16135550123', 'FIXED_LINE_OR_MOBILE'],
    ['+447400123456', 'MOBILE'],
    ['+441481256789', 'FIXED_LINE'],
    ['+12000000000', undefined],
  ])('%s: the same rejection, length verdict or type as libphonenumber (%s)', (text, expected) => {
    for (const region of DEFAULT_REGIONS) {
      const compiled = compiledView(text, region)
      const library = libraryView(text, region)
      expect(compiled).toEqual(library)
      if ('rejected' in library) expect(library.rejected).toBe(expected)
      else expect(library.length === 'IS_POSSIBLE' ? library.type : library.length).toBe(expected)
    }
  })

  it('leaves non-geographic calling codes, unknown default regions and over-long input to the library', () => {
    expect(readInternationalNumber('+80012345678', 'CN')).toBeUndefined()
    expect(readInternationalNumber('+882130123456', 'CN')).toBeUndefined()
    expect(readInternationalNumber('+8613988888888', 'ZZ')).toBeUndefined()
    expect(readInternationalNumber(`+86${'1'.repeat(250)}`, 'CN')).toBeUndefined()
    expect(readInternationalNumber('+86 139', 'CN')).toBeUndefined()
  })
})

describe('parseNumber on E.164 and platform (00) input', () => {
  /** The outcome of `parseNumber` before the compiled reading existed: libphonenumber alone. */
  function libraryOutcome(text: string, region: string) {
    const view = libraryView(text, region)
    if ('rejected' in view) return { problem: view.rejected }
    if (view.length !== 'IS_POSSIBLE') {
      return { problem: view.length === 'TOO_LONG' ? 'TOO_LONG' : 'TOO_SHORT' }
    }
    return {
      e164: `+${view.countryCode}${view.nationalNumber}`,
      countryCode: view.countryCode,
      nationalNumber: view.nationalNumber,
      region: view.region,
      type: view.type,
    }
  }

  function outcome(input: string, region: string) {
    try {
      const {
        e164,
        countryCode,
        nationalNumber,
        region: of,
        type,
      } = parseNumber(input, { defaultRegion: region })
      return { e164, countryCode, nationalNumber, region: of, type }
    } catch (error) {
      return { problem: (error as { problem?: string }).problem }
    }
  }

  it('property: gives what libphonenumber gives, in both notations', () => {
    const code = fc.constantFrom(...CALLING_CODES)
    const number = code.chain((c) =>
      fc.constantFrom(...lengthsOf(c)).chain((l) => digits(l).map((national) => `${c}${national}`)),
    )
    fc.assert(
      fc.property(number, defaultRegion, (international, region) => {
        const expected = libraryOutcome(`+${international}`, region)
        expect(outcome(`+${international}`, region), international).toEqual(expected)
        expect(outcome(`00${international}`, region), international).toEqual(expected)
      }),
      { seed: SEED, numRuns: 2_000 },
    )
  })

  it("describes a landline's area code as libphonenumber's national format shows it", () => {
    for (const [input, areaCodeLength, trunkPrefix] of [
      ['+862088887697', 2, '0'],
      ['+8675512345678', 3, '0'],
      ['+12015550123', 3, ''],
      ['+442079460000', 2, '0'],
      ['+493012345678', 2, '0'],
    ] as const) {
      expect(parseNumber(input)).toMatchObject({ areaCodeLength, trunkPrefix })
      // Asked again: the same answer from the area-code memo.
      expect(parseNumber(input)).toMatchObject({ areaCodeLength, trunkPrefix })
    }
    expect(parseNumber('+8613988888888')).toMatchObject({ areaCodeLength: 0, trunkPrefix: '' })
  })

  it('keeps rejecting malformed default regions with TypeError', () => {
    expect(() => parseNumber('+8613988888888', { defaultRegion: 'china' })).toThrow(TypeError)
  })
})
