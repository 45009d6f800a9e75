/**
 * Whether a value carries a phone number's digits, however they are written: full-width
 * (`１３９`), Arabic-Indic (`١٣٩`) or any other script's decimal digits, split by
 * separators or letters, or with a digit dropped at either end.
 *
 * Used wherever a value from outside (a UID from the tenant's endpoint, a screen-pop URL)
 * reaches an agent who must not see the customer's number.
 *
 * @module
 * @internal
 */

const DECIMAL_DIGIT = /\p{Nd}/u
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/
const NON_ASCII_DIGITS = /\p{Nd}/gu

/** Each non-ASCII decimal digit's value, found once. */
const digitValues = new Map<string, string>()

/**
 * The value of a decimal digit of any script. Unicode encodes every script's decimal digits
 * as one contiguous run of ten, 0 to 9 (a stability guarantee), though runs may sit next to
 * each other; the value is the distance from the start of the whole run, modulo ten.
 */
function digitValue(digit: string): string {
  let value = digitValues.get(digit)
  if (value === undefined) {
    const code = digit.codePointAt(0) as number
    let start = code
    while (start > 0 && DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start -= 1
    value = String((code - start) % 10)
    digitValues.set(digit, value)
  }
  return value
}

/**
 * `text` after Unicode NFKC with every decimal digit (`\p{Nd}`, all scripts) written as its
 * ASCII digit. Lengths may change: use it to compare, not to cut spans out of the original.
 *
 * @example
 * ```ts
 * foldDigits('１３９-٨٨٨') // '139-888'
 * ```
 */
export function foldDigits(text: string): string {
  // Printable ASCII is its own NFKC form and has no other digits: the common case, on every view.
  if (PRINTABLE_ASCII.test(text)) return text
  const normalized = text.normalize('NFKC')
  return normalized.replace(NON_ASCII_DIGITS, (d) => (d >= '0' && d <= '9' ? d : digitValue(d)))
}

/** The ASCII digits of `text` after {@link foldDigits}, in order, everything else dropped. */
export function digitsIn(text: string): string {
  return foldDigits(text).replace(/\D/g, '')
}

/**
 * True when the digits of `text` (folded, everything between them dropped) contain
 * `minRun` or more consecutive digits of `number` (a string of ASCII digits, such as a
 * national number). A `number` shorter than `minRun` must appear whole.
 *
 * @example
 * ```ts
 * sharesDigitRun('３９８８８８８８８８', '13988888888', 5) // true: the first digit dropped
 * sharesDigitRun('139abcdefg', '13988888888', 5) // false: only `139`
 * ```
 */
export function sharesDigitRun(text: string, number: string, minRun: number): boolean {
  return digitsShareRun(digitsIn(text), number, minRun)
}

/**
 * {@link sharesDigitRun} for `digits` already reduced by {@link digitsIn} (a value checked
 * again and again, such as a cached screen-pop URL).
 */
export function digitsShareRun(digits: string, number: string, minRun: number): boolean {
  if (number.length === 0) return false
  const run = Math.min(minRun, number.length)
  for (let at = 0; at + run <= number.length; at += 1) {
    if (digits.includes(number.slice(at, at + run))) return true
  }
  return false
}
