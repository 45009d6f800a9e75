/**
 * Phone-number normalisation: every number callwarden handles is turned into E.164 on the
 * way in and formatted back to the platform's `00` format on the way out.
 *
 * Accepted input: E.164 (`+8613988888888`), the platform format (`00` + country code +
 * national number: `008613988888888`, landline `0086020...` with the area code's trunk `0`
 * kept), national numbers read with the tenant's default region (`13988888888`,
 * `020 1234 5678`), and RFC 3966 `tel:` URIs (`tel:+86-139-8888-8888`,
 * `tel:13988888888;phone-context=+86`). Separators (spaces, `-`, `.`, parentheses) are
 * ignored.
 *
 * @module
 */
import {
  parsePhoneNumberWithError,
  ParseError,
  validatePhoneNumberLength,
  type CountryCode,
  type PhoneNumber,
} from 'libphonenumber-js/max'
import { CallwardenError } from '../errors.js'
import { RecentCache } from '../lib/recent-cache.js'
import {
  InternationalReading,
  plainInternational,
  readInternationalNumber,
  type LengthVerdict,
} from './number-plan.js'

/** Why a number was rejected. */
export const NUMBER_PROBLEMS = ['NOT_A_NUMBER', 'TOO_SHORT', 'TOO_LONG', 'INVALID_COUNTRY'] as const
/** One rejection reason. */
export type NumberProblem = (typeof NUMBER_PROBLEMS)[number]

/** A number could not be read; `problem` says why. The input itself is never in the message. */
export class NumberInvalid extends CallwardenError {
  readonly problem: NumberProblem

  constructor(problem: NumberProblem, detail: string) {
    super('ERR_NUMBER_INVALID', `phone number rejected (${problem}): ${detail}`)
    this.name = 'NumberInvalid'
    this.problem = problem
  }
}

/** Options of {@link normalizeNumber}. */
export interface NormalizeOptions {
  /**
   * ISO 3166-1 alpha-2 region national numbers are read in.
   * @defaultValue `'CN'`
   */
  readonly defaultRegion?: string
}

/** A normalised number with what masking and policy need to know about it. */
export interface ParsedNumber {
  /** E.164, e.g. `+8613988888888`. */
  readonly e164: string
  /** Country calling code without `+`, e.g. `86`. */
  readonly countryCode: string
  /** National significant number, e.g. `13988888888` or `2012345678`. */
  readonly nationalNumber: string
  /** The region, when the number belongs to one (`CN`, `US`, ...). */
  readonly region: string | undefined
  /** libphonenumber's type (`MOBILE`, `FIXED_LINE`, ...), when known. */
  readonly type: string | undefined
  /** Leading digits of the national number that form a landline's area code (0 when none). */
  readonly areaCodeLength: number
  /** The trunk prefix written before the area code in national format (`0` in CN, GB). */
  readonly trunkPrefix: string
}

const SEPARATORS = /[\s\-.()\u00a0\u2010-\u2015]/g
const REGION = /^[A-Z]{2}$/

/**
 * Reads a number and returns it in E.164. Throws `ERR_NUMBER_INVALID` ({@link NumberInvalid},
 * with `problem`) when the input is not a possible phone number.
 *
 * @example
 * ```ts
 * normalizeNumber('008613988888888') // '+8613988888888'
 * normalizeNumber('020 1234 5678') // '+862012345678' (default region CN)
 * normalizeNumber('tel:+1-201-555-0123') // '+12015550123'
 * ```
 */
export function normalizeNumber(input: string, options: NormalizeOptions = {}): string {
  return parseNumber(input, options).e164
}

/** Like {@link normalizeNumber}, returning the parts masking and policy need. */
export function parseNumber(input: string, options: NormalizeOptions = {}): ParsedNumber {
  if (typeof input !== 'string') {
    throw new TypeError(`a phone number must be a string, got ${input === null ? 'null' : typeof input}`)
  }
  const region = options.defaultRegion ?? 'CN'
  // '+' or '00' and digits, the forms numbers usually arrive in, are read from compiled
  // tables, which costs less than looking the number up in the memo below.
  const international = plainInternational(input)
  if (international !== undefined) {
    const parsed = readCompiled(international, region)
    if (parsed !== undefined) return parsed
  }
  const key = `${region}|${input}`
  const known = recentParses.get(key)
  if (known !== undefined) return known
  if (!REGION.test(region)) {
    throw new TypeError(`defaultRegion must be an ISO 3166-1 alpha-2 code such as 'CN', got '${region}'`)
  }
  const parsed = parseUncached(input, region)
  recentParses.set(key, parsed)
  // The E.164 form is what later lookups of this number usually pass.
  if (parsed.e164 !== input) recentParses.set(`${region}|${parsed.e164}`, parsed)
  return parsed
}

/**
 * Parses libphonenumber had to make are remembered: a contact center sees the same numbers
 * again and again (one call produces an inbound event, agent views and a service record),
 * and such a parse with type detection costs 10–25 µs. Results are frozen, so sharing them is
 * safe; failures are not remembered. The memory is the process's own, never written.
 */
const recentParses = new RecentCache<string, ParsedNumber>(10_000)

/**
 * Landline area codes of numbers read from the compiled tables, by E.164: finding one
 * formats the number with libphonenumber, the one costly step left for such numbers.
 */
const recentAreaCodes = new RecentCache<string, AreaCode>(10_000)

/**
 * The compiled reading of `+` and digits, as a parse or a thrown rejection; `undefined` where
 * libphonenumber must be asked.
 */
function readCompiled(text: string, region: string): ParsedNumber | undefined {
  const reading = readInternationalNumber(text, region)
  if (reading === undefined) return undefined
  if (!(reading instanceof InternationalReading)) throw parseProblem(reading)
  if (reading.length !== 'IS_POSSIBLE') throw lengthProblem(reading.length)
  return Object.freeze(new DescribedNumber(reading))
}

function parseUncached(input: string, region: string): ParsedNumber {
  const text = toDialString(input)
  const compiled = readCompiled(text, region)
  if (compiled !== undefined) return compiled
  let phone: PhoneNumber
  try {
    phone = parsePhoneNumberWithError(text, { defaultCountry: region as CountryCode, extract: false })
  } catch (error) {
    throw parseProblem(error instanceof ParseError ? error.message : 'NOT_A_NUMBER')
  }
  if (!phone.isPossible()) throw lengthProblem(validatePhoneNumberLength(text, region as CountryCode))
  return Object.freeze(new DescribedNumber(phone))
}

/**
 * Formats an E.164 number in the platform's wire format: `00` + country code + national
 * number. A CN landline keeps its area code's trunk `0` (`0086020...`), as the platform
 * writes it; every other number is `00` + country code + national significant number.
 *
 * @example
 * ```ts
 * formatPlatformNumber('+8613988888888') // '008613988888888'
 * formatPlatformNumber('+862012345678') // '0086020 12345678' without the space
 * ```
 */
export function formatPlatformNumber(e164: string): string {
  return formatParsedPlatformNumber(parseNumber(e164))
}

/**
 * {@link formatPlatformNumber} for a number already parsed.
 * @internal
 */
export function formatParsedPlatformNumber(parsed: ParsedNumber): string {
  return `00${parsed.countryCode}${platformTrunk(parsed)}${parsed.nationalNumber}`
}

/**
 * The trunk prefix the platform format writes before the national number: CN landlines
 * keep their area code's `0`.
 * @internal
 */
export function platformTrunk(parsed: ParsedNumber): string {
  // CN area codes start with 2-9; a national number starting with 1 is never a landline, and
  // is answered without asking for the (costly) type.
  if (parsed.region !== 'CN' || parsed.nationalNumber.startsWith('1')) return ''
  return parsed.areaCodeLength > 0 ? parsed.trunkPrefix : ''
}

/**
 * Turns any accepted notation into something libphonenumber reads: `tel:` URIs are taken
 * apart here, because passing them (with `phone-context`) to libphonenumber hits a stateful
 * global regular expression whose results differ between repeated calls.
 */
function toDialString(input: string): string {
  let text = input.trim()
  if (/^tel:/i.test(text)) {
    const [number = '', ...params] = text.slice(4).split(';')
    const context = params
      .map((p) => p.split('='))
      .find(([name]) => name?.toLowerCase() === 'phone-context')?.[1]
    const digits = number.replace(SEPARATORS, '')
    if (digits.startsWith('+')) {
      text = digits
    } else if (context !== undefined && /^\+[\d\-.()]+$/.test(context)) {
      text = `${context.replace(SEPARATORS, '')}${digits}`
    } else {
      throw new NumberInvalid(
        'NOT_A_NUMBER',
        'a tel: URI needs a global number (+...) or a phone-context of +country code; domain contexts are not accepted',
      )
    }
  }
  text = text.replace(SEPARATORS, '')
  if (/^00[1-9]/.test(text)) text = `+${text.slice(2)}`
  if (!/^\+?\d+$/.test(text)) {
    throw new NumberInvalid(
      'NOT_A_NUMBER',
      "allowed: digits with an optional leading '+' or '00', separators and tel: URIs",
    )
  }
  return text
}

/** Where a described number came from: the compiled reading, or a libphonenumber parse. */
type NumberSource = InternationalReading | PhoneNumber

/** The area code and trunk prefix of a landline, as the national format shows them. */
interface AreaCode {
  readonly areaCodeLength: number
  readonly trunkPrefix: string
}

const NO_AREA_CODE: AreaCode = Object.freeze({ areaCodeLength: 0, trunkPrefix: '' })

/**
 * A parsed number whose type and area code are worked out on first use: type detection is
 * the costly part of a parse, and many callers (E.164 normalisation, the UID client's wire
 * format for mobiles) never need it. The type never formats; only the area code does, and
 * only for landlines.
 */
class DescribedNumber implements ParsedNumber {
  readonly e164: string
  readonly countryCode: string
  readonly nationalNumber: string
  readonly region: string | undefined
  readonly #source: NumberSource
  #type: string | undefined
  #typed = false
  #areaCode: AreaCode | undefined

  constructor(source: NumberSource) {
    this.#source = source
    if (source instanceof InternationalReading) {
      this.countryCode = source.countryCode
      this.nationalNumber = source.nationalNumber
      this.e164 = `+${source.countryCode}${source.nationalNumber}`
      this.region = source.region
    } else {
      this.countryCode = String(source.countryCallingCode)
      this.nationalNumber = String(source.nationalNumber)
      this.e164 = source.number
      this.region = source.country
    }
  }

  get type(): string | undefined {
    if (!this.#typed) {
      const source = this.#source
      this.#type = source instanceof InternationalReading ? source.type : source.getType()
      this.#typed = true
    }
    return this.#type
  }

  get areaCodeLength(): number {
    return this.#describeArea().areaCodeLength
  }

  get trunkPrefix(): string {
    return this.#describeArea().trunkPrefix
  }

  toJSON(): ParsedNumber {
    const { e164, countryCode, nationalNumber, region, type, areaCodeLength, trunkPrefix } = this
    return { e164, countryCode, nationalNumber, region, type, areaCodeLength, trunkPrefix }
  }

  #describeArea(): AreaCode {
    if (this.#areaCode !== undefined) return this.#areaCode
    const type = this.type
    this.#areaCode =
      type === 'FIXED_LINE' || type === 'FIXED_LINE_OR_MOBILE' ? this.#landlineAreaCode() : NO_AREA_CODE
    return this.#areaCode
  }

  #landlineAreaCode(): AreaCode {
    const source = this.#source
    if (!(source instanceof InternationalReading)) return areaCodeOf(source)
    let areaCode = recentAreaCodes.get(this.e164)
    if (areaCode === undefined) {
      // A compiled reading equals the library's parse of its E.164 form, which formats it.
      areaCode = areaCodeOf(parsePhoneNumberWithError(this.e164))
      recentAreaCodes.set(this.e164, areaCode)
    }
    return areaCode
  }
}

/** A landline's area code and trunk prefix, from libphonenumber's national format. */
function areaCodeOf(phone: PhoneNumber): AreaCode {
  const national = String(phone.nationalNumber)
  // The area code is the first group of the national format, less its trunk prefix:
  // '020 1234 5678' → '20', '(201) 555-0123' → '201', '0755 1234 5678' → '755'.
  const firstGroup = /^\(?(\d+)/.exec(phone.formatNational())?.[1] ?? ''
  // The trunk prefix is the shortest head of the group that leaves the national number's start.
  for (let at = 0; at < firstGroup.length; at += 1) {
    const area = firstGroup.slice(at)
    if (national.startsWith(area) && area.length < national.length) {
      return Object.freeze({ areaCodeLength: area.length, trunkPrefix: firstGroup.slice(0, at) })
    }
  }
  return NO_AREA_CODE
}

/** The rejection for the library's `ParseError` message (or the reading's equivalent). */
function parseProblem(message: string): NumberInvalid {
  switch (message) {
    case 'INVALID_COUNTRY':
      return new NumberInvalid(
        'INVALID_COUNTRY',
        'unknown country calling code, or a national number without a region',
      )
    case 'TOO_SHORT':
      return new NumberInvalid('TOO_SHORT', 'fewer digits than any number of its country')
    case 'TOO_LONG':
      return new NumberInvalid('TOO_LONG', 'more digits than any number of its country')
    default:
      return new NumberInvalid('NOT_A_NUMBER', 'the input is not a phone number')
  }
}

/** The rejection for a number that parsed but whose length no number of its country has. */
function lengthProblem(
  length: LengthVerdict | 'NOT_A_NUMBER' | 'INVALID_COUNTRY' | undefined,
): NumberInvalid {
  if (length === 'TOO_SHORT' || length === 'NOT_A_NUMBER') {
    return new NumberInvalid('TOO_SHORT', 'fewer digits than any number of its country')
  }
  if (length === 'TOO_LONG')
    return new NumberInvalid('TOO_LONG', 'more digits than any number of its country')
  if (length === 'INVALID_COUNTRY')
    return new NumberInvalid('INVALID_COUNTRY', 'unknown country calling code')
  return new NumberInvalid('TOO_SHORT', 'no number of its country has this length')
}
