/**
 * A compiled reading of international numbers (`+` and digits) from libphonenumber-js's own
 * max metadata: the same steps as the library's `parsePhoneNumberWithError()`, `isPossible()`
 * and `getType()` for this one input form, with every pattern compiled once and each calling
 * code's tables built on its first use. The library, by contrast, builds a `RegExp` for every
 * pattern test and metadata objects for every step, which makes a cold parse with type
 * detection cost some 10–25 µs.
 *
 * The reading answers only where it is sure to answer as the library does, and says "ask the
 * library" (`undefined`) otherwise: a national number the calling code's
 * national-prefix-for-parsing pattern matches (the library would try to strip a trunk prefix
 * or carrier code), non-geographic calling codes (`+800`, `+882`, ...), a default region the
 * metadata does not know, inputs over the library's length limit, or metadata in a format
 * this reading was not written for.
 *
 * @module
 * @internal
 */
import metadata from 'libphonenumber-js/max/metadata'

/** Why the library would reject the input outright (its `ParseError` messages). */
export type ReadingFailure = 'TOO_SHORT' | 'TOO_LONG' | 'INVALID_COUNTRY'

/** The library's length verdict (`checkNumberLength`); anything but `IS_POSSIBLE` is not possible. */
export type LengthVerdict = 'IS_POSSIBLE' | 'TOO_SHORT' | 'TOO_LONG' | 'INVALID_LENGTH'

/** The metadata layout this reading follows (libphonenumber-js metadata version 4). */
const METADATA_VERSION = 4
/** The library's MIN_LENGTH_FOR_NSN and MAX_LENGTH_FOR_NSN. */
const MIN_NATIONAL_LENGTH = 2
const MAX_NATIONAL_LENGTH = 17
/** Fewer digits after `+` are "too short" before any calling code is looked at. */
const MIN_VIABLE_DIGITS = 3
/** The library's MAX_INPUT_STRING_LENGTH. */
const MAX_INPUT_LENGTH = 250
const MAX_CALLING_CODE_LENGTH = 3
const PLUS_SIGN = 0x2b
const DIGIT_ZERO = 0x30
const DIGIT_NINE = 0x39

/** Positions in a region's minified plan (metadata v4). */
const PLAN_FIELD = {
  nationalNumberPattern: 2,
  possibleLengths: 3,
  nationalPrefix: 5,
  nationalPrefixForParsing: 7,
  leadingDigits: 10,
  types: 11,
} as const

/** Positions of the number types in a plan's type list. */
const TYPE_SLOT = {
  FIXED_LINE: 0,
  MOBILE: 1,
  TOLL_FREE: 2,
  PREMIUM_RATE: 3,
  PERSONAL_NUMBER: 4,
  VOICEMAIL: 5,
  UAN: 6,
  PAGER: 7,
  VOIP: 8,
  SHARED_COST: 9,
} as const
type NumberType = keyof typeof TYPE_SLOT | 'FIXED_LINE_OR_MOBILE'

/** The order the library tries the types in after fixed line (`getNumberType`). */
const NON_FIXED_LINE_TYPES = [
  'MOBILE',
  'PREMIUM_RATE',
  'TOLL_FREE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
] as const satisfies readonly (keyof typeof TYPE_SLOT)[]

/** A type's entry in the metadata: `0` when absent, else its pattern and maybe its lengths. */
type RawType = 0 | readonly [pattern: string, possibleLengths?: readonly number[]]

interface RawMetadata {
  readonly version: unknown
  readonly country_calling_codes: Readonly<Record<string, readonly string[]>>
  readonly countries: Readonly<Record<string, readonly unknown[]>>
  readonly nonGeographic?: Readonly<Record<string, unknown>>
}

const raw = metadata as unknown as RawMetadata

/**
 * True when `text` holds at least one character from `from` on and all of them are ASCII
 * digits: the cheap test for the plain forms (`+` or `00` and digits) numbers usually arrive in.
 *
 * @example
 * ```ts
 * isDigitRun('+8613988888888', 1) // true
 * isDigitRun('+86 139', 1) // false
 * isDigitRun('+', 1) // false
 * ```
 * @internal
 */
export function isDigitRun(text: string, from: number): boolean {
  if (text.length <= from) return false
  for (let at = from; at < text.length; at += 1) {
    const code = text.charCodeAt(at)
    if (code < DIGIT_ZERO || code > DIGIT_NINE) return false
  }
  return true
}

/** The platform's international prefix: `00` before a country code (which never starts with 0). */
const INTERNATIONAL_PREFIX = /^00[1-9]/

/**
 * `+` or `00` and digits only, the forms numbers usually arrive in, as `+` and digits;
 * `undefined` for every other notation (separators, `tel:` URIs, national numbers).
 *
 * @example
 * ```ts
 * plainInternational('+8613988888888') // '+8613988888888'
 * plainInternational('008613988888888') // '+8613988888888'
 * plainInternational('+86 139 8888 8888') // undefined
 * plainInternational('13988888888') // undefined
 * ```
 * @internal
 */
export function plainInternational(input: string): string | undefined {
  if (input.charCodeAt(0) === PLUS_SIGN) return isDigitRun(input, 1) ? input : undefined
  return INTERNATIONAL_PREFIX.test(input) && isDigitRun(input, 2) ? `+${input.slice(2)}` : undefined
}

/** `^(?:pattern)$`, as the library's `matchesEntirely` builds it. */
function entirely(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`)
}

/** `^(?:pattern)`: a match at the start, as `search(pattern) === 0` and a prefix `exec` find. */
function atStart(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})`)
}

/** One number type of one region, compiled. */
interface CompiledType {
  readonly pattern: RegExp
  readonly possibleLengths: readonly number[]
}

/** One region's plan: its validity, length and type rules, compiled. */
class RegionPlan {
  readonly region: string
  readonly possibleLengths: readonly number[]
  readonly leadingDigits: RegExp | undefined
  readonly #nationalNumber: RegExp
  readonly #types: readonly (CompiledType | undefined)[]
  /** No mobile entry, or one without a pattern of its own (it equals the fixed-line one). */
  readonly #mobileIsFixedLine: boolean

  constructor(region: string, plan: readonly unknown[]) {
    this.region = region
    this.possibleLengths = plan[PLAN_FIELD.possibleLengths] as readonly number[]
    const leadingDigits = plan[PLAN_FIELD.leadingDigits]
    this.leadingDigits =
      typeof leadingDigits === 'string' && leadingDigits !== '' ? atStart(leadingDigits) : undefined
    this.#nationalNumber = entirely(plan[PLAN_FIELD.nationalNumberPattern] as string)
    const types = (plan[PLAN_FIELD.types] || []) as readonly RawType[]
    this.#types = Object.values(TYPE_SLOT).map((slot) => {
      const entry = types[slot]
      // The library skips a type without a pattern; `''` marks one merged into fixed line.
      if (!entry || !entry[0]) return undefined
      return { pattern: entirely(entry[0]), possibleLengths: entry[1] || this.possibleLengths }
    })
    const mobile = types[TYPE_SLOT.MOBILE]
    this.#mobileIsFixedLine = !mobile || mobile[0] === ''
  }

  /** The library's `checkNumberLength` for no particular type. */
  lengthOf(nationalNumber: string): LengthVerdict {
    const lengths = this.possibleLengths
    const length = nationalNumber.length
    const shortest = lengths[0] as number
    if (shortest === length) return 'IS_POSSIBLE'
    if (shortest > length) return 'TOO_SHORT'
    if ((lengths[lengths.length - 1] as number) < length) return 'TOO_LONG'
    return lengths.indexOf(length, 1) >= 0 ? 'IS_POSSIBLE' : 'INVALID_LENGTH'
  }

  /** The library's `getNumberType`: `undefined` for a number in no allocated range. */
  typeOf(nationalNumber: string): NumberType | undefined {
    if (!this.#nationalNumber.test(nationalNumber)) return undefined
    if (this.#is(nationalNumber, TYPE_SLOT.FIXED_LINE)) {
      if (this.#mobileIsFixedLine || this.#is(nationalNumber, TYPE_SLOT.MOBILE)) return 'FIXED_LINE_OR_MOBILE'
      return 'FIXED_LINE'
    }
    for (const type of NON_FIXED_LINE_TYPES) {
      if (this.#is(nationalNumber, TYPE_SLOT[type])) return type
    }
    return undefined
  }

  #is(nationalNumber: string, slot: number): boolean {
    const type = this.#types[slot]
    if (type === undefined || !type.possibleLengths.includes(nationalNumber.length)) return false
    return type.pattern.test(nationalNumber)
  }
}

/** The regions of one calling code, its main region first, with the main region's trunk-prefix rule. */
class CallingCodePlan {
  readonly code: string
  /** The regions sharing the code, the main one (whose rules a number of no region follows) first. */
  readonly regions: readonly RegionPlan[]
  readonly main: RegionPlan
  readonly #nationalPrefix: RegExp | undefined

  constructor(code: string, regions: readonly string[]) {
    this.code = code
    this.regions = regions.map(
      (region) => new RegionPlan(region, raw.countries[region] as readonly unknown[]),
    )
    this.main = this.regions[0] as RegionPlan
    const mainPlan = raw.countries[regions[0] as string] as readonly unknown[]
    const forParsing = mainPlan[PLAN_FIELD.nationalPrefixForParsing] || mainPlan[PLAN_FIELD.nationalPrefix]
    this.#nationalPrefix =
      typeof forParsing === 'string' && forParsing !== '' ? atStart(forParsing) : undefined
  }

  /**
   * True when the library would try to strip a national prefix or carrier code from this
   * national number: its pattern matches something at the start. (An empty match strips
   * nothing.)
   */
  mayStripPrefix(nationalNumber: string): boolean {
    const match = this.#nationalPrefix?.exec(nationalNumber)
    return match !== null && match !== undefined && match[0] !== ''
  }
}

/**
 * A number read on the compiled path: what the library's `PhoneNumber` would hold, its
 * length verdict, and its type on first use.
 *
 * @example
 * ```ts
 * const reading = readInternationalNumber('+12015550123', 'CN') as InternationalReading
 * reading.region // 'US'
 * reading.length // 'IS_POSSIBLE'
 * reading.type // 'FIXED_LINE_OR_MOBILE'
 * ```
 * @internal
 */
export class InternationalReading {
  readonly countryCode: string
  readonly nationalNumber: string
  /** The region, when the calling code's regions tell one (as the library's `country`). */
  readonly region: string | undefined
  readonly length: LengthVerdict
  /** The plan the library validates and types against: the region's, else the calling code's main one. */
  readonly #plan: RegionPlan
  #type: NumberType | undefined
  #typed: boolean

  constructor(code: CallingCodePlan, nationalNumber: string) {
    this.countryCode = code.code
    this.nationalNumber = nationalNumber
    this.#type = undefined
    this.#typed = false
    const region = this.#regionOf(code.regions)
    this.region = region?.region
    this.#plan = region ?? code.main
    this.length = this.#plan.lengthOf(nationalNumber)
  }

  /**
   * The library's `getCountryByCallingCode`: the only region, or the first whose leading
   * digits match, or (for regions without leading digits) the first that gives the number a
   * type, keeping that type, which is the one the library's `getType()` answers.
   */
  #regionOf(regions: readonly RegionPlan[]): RegionPlan | undefined {
    if (regions.length === 1) return regions[0]
    const nationalNumber = this.nationalNumber
    for (const region of regions) {
      if (region.leadingDigits !== undefined) {
        if (region.leadingDigits.test(nationalNumber)) return region
        continue
      }
      const type = region.typeOf(nationalNumber)
      if (type !== undefined) {
        this.#type = type
        this.#typed = true
        return region
      }
    }
    return undefined
  }

  /** The library's `getType()`, worked out on first use. */
  get type(): string | undefined {
    if (!this.#typed) {
      this.#type = this.#plan.typeOf(this.nationalNumber)
      this.#typed = true
    }
    return this.#type
  }
}

/**
 * A calling code's entry, by the code's numeric value (no code starts with 0, so one-, two-
 * and three-digit codes cannot collide): its regions until first use, then its plan; `null`
 * for non-geographic codes, which this reading leaves to the library.
 */
type CodeSlot = CallingCodePlan | readonly string[] | null | undefined

const CALLING_CODE_VALUES = 1000
let codeSlots: CodeSlot[] | false | undefined

/** The calling codes of the metadata, or `false` when its layout is not the one read here. */
function callingCodes(): CodeSlot[] | false {
  if (codeSlots !== undefined) return codeSlots
  const shared = Object.values(raw.country_calling_codes)
  // Metadata before v4 kept non-geographic entities as a pseudo-region ('001'), which the
  // library treats differently; this reading is written for v4 only.
  if (raw.version !== METADATA_VERSION || shared.some((r) => r.length === 1 && r[0]!.length === 3)) {
    codeSlots = false
    return codeSlots
  }
  const slots: CodeSlot[] = new Array<CodeSlot>(CALLING_CODE_VALUES).fill(undefined)
  for (const [code, regions] of Object.entries(raw.country_calling_codes)) slots[Number(code)] = regions
  for (const code of Object.keys(raw.nonGeographic ?? {})) slots[Number(code)] = null
  codeSlots = slots
  return slots
}

/**
 * Reads `text`, `+` followed by ASCII digits, as libphonenumber-js's
 * `parsePhoneNumberWithError(text, { defaultCountry, extract: false })` would. Returns the
 * reading (check its `length` before use), the library's rejection, or `undefined` where the
 * library must be asked instead.
 *
 * @example
 * ```ts
 * const reading = readInternationalNumber('+8613988888888', 'CN')
 * // reading.region === 'CN', reading.nationalNumber === '13988888888', reading.type === 'MOBILE'
 * readInternationalNumber('+99912345', 'CN') // 'INVALID_COUNTRY'
 * readInternationalNumber('+80012345678', 'CN') // undefined (non-geographic: ask the library)
 * ```
 * @internal
 */
export function readInternationalNumber(
  text: string,
  defaultRegion: string,
): InternationalReading | ReadingFailure | undefined {
  const table = callingCodes()
  // The library rejects an unknown default region before it looks at the number.
  if (table === false || text.length > MAX_INPUT_LENGTH || !Object.hasOwn(raw.countries, defaultRegion)) {
    return undefined
  }
  if (text.charCodeAt(0) !== PLUS_SIGN || !isDigitRun(text, 1)) return undefined
  if (text.length - 1 < MIN_VIABLE_DIGITS) return 'TOO_SHORT'
  // No calling code starts with 0.
  if (text.charCodeAt(1) === DIGIT_ZERO) return 'INVALID_COUNTRY'
  let value = 0
  let slot: CodeSlot
  let codeLength = 0
  while (slot === undefined && codeLength < MAX_CALLING_CODE_LENGTH) {
    codeLength += 1
    value = value * 10 + text.charCodeAt(codeLength) - DIGIT_ZERO
    slot = table[value]
  }
  if (slot === undefined) return 'INVALID_COUNTRY'
  if (slot === null) return undefined
  if (!(slot instanceof CallingCodePlan)) {
    slot = new CallingCodePlan(text.slice(1, 1 + codeLength), slot)
    table[value] = slot
  }
  const plan = slot
  const nationalNumber = text.slice(1 + codeLength)
  if (nationalNumber === '') return 'TOO_SHORT'
  if (plan.mayStripPrefix(nationalNumber)) return undefined
  if (nationalNumber.length < MIN_NATIONAL_LENGTH) return 'TOO_SHORT'
  if (nationalNumber.length > MAX_NATIONAL_LENGTH) return 'TOO_LONG'
  return new InternationalReading(plan, nationalNumber)
}
