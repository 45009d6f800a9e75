/**
 * Reads the numbers of a do-not-call list fast enough for national registries (100 M
 * lines), with the same result as the masking module's `parseNumber` for every line.
 *
 * libphonenumber costs 5–20 µs a number, which is 30 minutes for 100 M lines. But what it
 * does to a plain digit string depends on its country code, length and leading digits
 * (national prefixes are stripped, `+44 020…` becomes `+4420…`), not on the last digits. So
 * lines that are plain digits (`+` or `00` and digits, or national digits) are grouped by a
 * signature — international or national, digit count, first six digits — and the first line
 * of each signature is parsed by libphonenumber. When the parse was a plain rewrite (the
 * digits as they are, or a calling code put in front of the national digits less a trunk
 * prefix), every later line of the signature gets the same rewrite without libphonenumber;
 * otherwise every line of the signature is parsed in full. International numbers whose
 * national part starts with the country's national prefix (where libphonenumber decides by
 * the whole number) are always parsed in full. Lines with separators, `tel:` URIs or
 * anything else take the full parse too.
 *
 * @module
 * @internal
 */
import { Metadata } from 'libphonenumber-js/max'
import { NUMBER_PROBLEMS, NumberInvalid, parseNumber } from '../../masking/phone-number.js'
import { e164Value } from './e164-set.js'

/** Why a line of a list was not taken. */
export const DNC_LINE_PROBLEMS = [
  ...NUMBER_PROBLEMS,
  /** A CSV record has no field in the list's column. */
  'MISSING_FIELD',
  /** A CSV record opens a quote it never closes. */
  'UNCLOSED_QUOTE',
  /** A line is longer than any list line may be (64 KiB). */
  'LINE_TOO_LONG',
] as const
/** One problem. */
export type DncLineProblem = (typeof DNC_LINE_PROBLEMS)[number]

/** What a read returns for a blank field. Numbers are positive, problems negative. */
export const BLANK = 0

/** The negative result that stands for `problem`. */
export function problemResult(problem: DncLineProblem): number {
  return -(DNC_LINE_PROBLEMS.indexOf(problem) + 1)
}

/** The problem a negative result stands for. */
export function resultProblem(result: number): DncLineProblem {
  return DNC_LINE_PROBLEMS[-result - 1]!
}

const SLOW = -1
const SIGNATURE_DIGITS = 6
const POW10 = Array.from({ length: 18 }, (_, i) => 10 ** i)
const TOO_LONG = problemResult('TOO_LONG')
const NOT_A_NUMBER = problemResult('NOT_A_NUMBER')
const INVALID_COUNTRY = problemResult('INVALID_COUNTRY')

/**
 * Reads one list's lines. One reader per load: it remembers what it learned per signature.
 *
 * @internal
 */
export class DncNumberReader {
  readonly #region: string | undefined
  /** Signature → how its lines are rewritten (calling code × 4 + trunk digits), or SLOW. */
  readonly #rewrites = new Map<number, number>()
  #value = 0
  #count = 0
  #international = false
  /** The line just read (bytes and range, or text), made into a string only when needed. */
  #bytes: Uint8Array | undefined
  #text = ''
  #start = 0
  #end = 0
  /** Lines parsed in full by libphonenumber. */
  fullParses = 0

  /** `region`: where national numbers are read; without one they are refused. */
  constructor(region: string | undefined) {
    this.#region = region
  }

  /** Reads `bytes[start, end)`: a number's integer, {@link BLANK}, or a problem (negative). */
  readBytes(bytes: Uint8Array, start: number, end: number): number {
    while (start < end && (bytes[start] === 32 || bytes[start] === 9)) start++
    while (end > start && (bytes[end - 1] === 32 || bytes[end - 1] === 9 || bytes[end - 1] === 13)) end--
    if (start === end) return BLANK
    let i = start
    this.#international = false
    if (bytes[i] === 43) {
      this.#international = true
      i++
    } else if (end - i > 2 && bytes[i] === 48 && bytes[i + 1] === 48 && bytes[i + 2] !== 48) {
      this.#international = true
      i += 2
    }
    let value = 0
    const digitsStart = i
    for (; i < end; i++) {
      const digit = bytes[i]! - 48
      if (digit < 0 || digit > 9 || i - digitsStart >= 17) {
        return this.#full(
          Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', start, end),
        )
      }
      value = value * 10 + digit
    }
    this.#value = value
    this.#count = end - digitsStart
    this.#bytes = bytes
    this.#start = start
    this.#end = end
    return this.#fast()
  }

  /** Reads one line of text. */
  readString(text: string): number {
    let start = 0
    let end = text.length
    while (start < end && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++
    while (end > start) {
      const c = text.charCodeAt(end - 1)
      if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break
      end--
    }
    if (start === end) return BLANK
    let i = start
    this.#international = false
    if (text.charCodeAt(i) === 43) {
      this.#international = true
      i++
    } else if (
      end - i > 2 &&
      text.charCodeAt(i) === 48 &&
      text.charCodeAt(i + 1) === 48 &&
      text.charCodeAt(i + 2) !== 48
    ) {
      this.#international = true
      i += 2
    }
    let value = 0
    const digitsStart = i
    for (; i < end; i++) {
      const digit = text.charCodeAt(i) - 48
      if (digit < 0 || digit > 9 || i - digitsStart >= 17) return this.#full(text.slice(start, end))
      value = value * 10 + digit
    }
    this.#value = value
    this.#count = end - digitsStart
    this.#bytes = undefined
    this.#text = text
    this.#start = start
    this.#end = end
    return this.#fast()
  }

  /** The line just read, as text. */
  #line(): string {
    const bytes = this.#bytes
    if (bytes === undefined) return this.#text.slice(this.#start, this.#end)
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
      'latin1',
      this.#start,
      this.#end,
    )
  }

  #fast(): number {
    const count = this.#count
    const value = this.#value
    if (count < SIGNATURE_DIGITS || count > 15 || (this.#international && value < POW10[count - 1]!)) {
      return this.#full(this.#line())
    }
    if (!this.#international && this.#region === undefined) return INVALID_COUNTRY
    const signature =
      (this.#international ? 0 : 1e8) + count * 1e6 + Math.floor(value / POW10[count - SIGNATURE_DIGITS]!)
    let rewrite = this.#rewrites.get(signature)
    if (rewrite === undefined) {
      const result = this.#full(this.#line())
      rewrite = result > 0 ? this.#learn(result) : SLOW
      this.#rewrites.set(signature, rewrite)
      return result
    }
    if (rewrite === SLOW) return this.#full(this.#line())
    const trunk = rewrite % 4
    const code = (rewrite - trunk) / 4
    const nationalDigits = count - trunk
    const result = code * POW10[nationalDigits]! + (value % POW10[nationalDigits]!)
    return result < 1e15 ? result : TOO_LONG
  }

  /** How lines of the signature of the line just read can be rewritten, given its full parse. */
  #learn(result: number): number {
    const e164 = String(result)
    const digits = String(this.#value).padStart(this.#count, '0')
    if (this.#international) {
      if (e164 !== digits) return SLOW
      const code = callingCodeOf(e164)
      if (code === undefined) return SLOW
      return nationalPrefixPattern(code).test(e164.slice(code.length)) ? SLOW : 0
    }
    const code = callingCodeOf(e164)
    if (code === undefined) return SLOW
    const national = e164.slice(code.length)
    for (let trunk = 0; trunk < 4 && trunk < digits.length; trunk++) {
      if (digits.slice(trunk) === national) return Number(code) * 4 + trunk
    }
    return SLOW
  }

  #full(text: string): number {
    this.fullParses++
    if (this.#region === undefined && !/^\s*(\+|00[1-9]|tel:)/i.test(text)) {
      // A national number cannot be read without a region; text without digits is no number.
      return /\d/.test(text) ? INVALID_COUNTRY : NOT_A_NUMBER
    }
    try {
      const value = e164Value(parseNumber(text, { defaultRegion: this.#region ?? 'US' }).e164)
      return value < 0 ? TOO_LONG : value
    } catch (error) {
      if (error instanceof NumberInvalid) return problemResult(error.problem)
      throw error
    }
  }
}

/** The parts of libphonenumber's metadata used here (its typings leave them out). */
interface NumberingMetadata {
  selectNumberingPlan(callingCode: string): void
  hasCallingCode(callingCode: string): boolean | undefined
  readonly numberingPlan: { nationalPrefixForParsing(): string | undefined } | undefined
}

const metadata = new Metadata() as unknown as NumberingMetadata
const prefixPatterns = new Map<string, RegExp>()

/** What libphonenumber strips from the start of a national number of calling code `code`. */
function nationalPrefixPattern(code: string): RegExp {
  let pattern = prefixPatterns.get(code)
  if (pattern === undefined) {
    metadata.selectNumberingPlan(code)
    const source = metadata.numberingPlan?.nationalPrefixForParsing()
    pattern = source === undefined || source === '' ? /^(?!)/ : new RegExp(`^(?:${source})`)
    prefixPatterns.set(code, pattern)
  }
  return pattern
}

function callingCodeOf(digits: string): string | undefined {
  for (let length = 1; length <= 3; length++) {
    const code = digits.slice(0, length)
    if (metadata.hasCallingCode(code) === true) return code
  }
  return undefined
}
