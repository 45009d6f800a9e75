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
 * Parses are remembered: a contact center sees the same numbers again and again (one call
 * produces an inbound event, agent views and a service record), and a full parse with type
 * detection costs about three plain libphonenumber parses. Results are frozen, so sharing
 * them is safe; failures are not remembered. The memory is the process's own, never written.
 */
const recentParses = new RecentCache<string, ParsedNumber>(10_000)

function parseUncached(input: string, region: string): ParsedNumber {
  const text = toDialString(input)
  let phone: PhoneNumber
  try {
    phone = parsePhoneNumberWithError(text, { defaultCountry: region as CountryCode, extract: false })
  } catch (error) {
    throw fromParseError(error)
  }
  if (!phone.isPossible()) {
    const length = validatePhoneNumberLength(text, region as CountryCode)
    if (length === 'TOO_SHORT' || length === 'NOT_A_NUMBER') {
      throw new NumberInvalid('TOO_SHORT', 'fewer digits than any number of its country')
    }
    if (length === 'TOO_LONG')
      throw new NumberInvalid('TOO_LONG', 'more digits than any number of its country')
    if (length === 'INVALID_COUNTRY')
      throw new NumberInvalid('INVALID_COUNTRY', 'unknown country calling code')
    throw new NumberInvalid('TOO_SHORT', 'no number of its country has this length')
  }
  return describe(phone)
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

function describe(phone: PhoneNumber): ParsedNumber {
  return Object.freeze(new DescribedNumber(phone))
}

/**
 * A parsed number whose type and area code are worked out on first use: type detection is
 * the costly part of a parse, and many callers (E.164 normalisation, the UID client's wire
 * format for mobiles) never need it.
 */
class DescribedNumber implements ParsedNumber {
  readonly e164: string
  readonly countryCode: string
  readonly nationalNumber: string
  readonly region: string | undefined
  readonly #phone: PhoneNumber
  #landline: { type: string | undefined; areaCodeLength: number; trunkPrefix: string } | undefined

  constructor(phone: PhoneNumber) {
    this.#phone = phone
    this.e164 = phone.number
    this.countryCode = String(phone.countryCallingCode)
    this.nationalNumber = String(phone.nationalNumber)
    this.region = phone.country
  }

  get type(): string | undefined {
    return this.#describe().type
  }

  get areaCodeLength(): number {
    return this.#describe().areaCodeLength
  }

  get trunkPrefix(): string {
    return this.#describe().trunkPrefix
  }

  toJSON(): ParsedNumber {
    const { e164, countryCode, nationalNumber, region, type, areaCodeLength, trunkPrefix } = this
    return { e164, countryCode, nationalNumber, region, type, areaCodeLength, trunkPrefix }
  }

  #describe(): { type: string | undefined; areaCodeLength: number; trunkPrefix: string } {
    if (this.#landline !== undefined) return this.#landline
    const phone = this.#phone
    const type = phone.getType()
    const national = this.nationalNumber
    let areaCodeLength = 0
    let trunkPrefix = ''
    if (type === 'FIXED_LINE' || type === 'FIXED_LINE_OR_MOBILE') {
      // The area code is the first group of the national format, less its trunk prefix:
      // '020 1234 5678' → '20', '(201) 555-0123' → '201', '0755 1234 5678' → '755'.
      const firstGroup = /^\(?(\d+)/.exec(phone.formatNational())?.[1] ?? ''
      // The trunk prefix is the shortest head of the group that leaves the national number's start.
      for (let at = 0; at < firstGroup.length; at += 1) {
        const area = firstGroup.slice(at)
        if (national.startsWith(area) && area.length < national.length) {
          areaCodeLength = area.length
          trunkPrefix = firstGroup.slice(0, at)
          break
        }
      }
    }
    this.#landline = { type, areaCodeLength, trunkPrefix }
    return this.#landline
  }
}

function fromParseError(error: unknown): NumberInvalid {
  const message = error instanceof ParseError ? error.message : 'NOT_A_NUMBER'
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
