/**
 * Whether a value carries a phone number's digits, however they are written: full-width
 * (`１３９`), Arabic-Indic (`١٣٩`) or any other script's decimal digits, mathematical,
 * superscript or circled digits (`𝟏`, `¹`, `①`, `❶`, `➀`), Chinese numerals (`一三九`,
 * `壹叁玖`), split by separators or letters, or with a digit dropped at either end.
 *
 * Used wherever a value from outside (a UID from the tenant's endpoint, a screen-pop URL)
 * reaches an agent who must not see the customer's number.
 *
 * @module
 * @internal
 */

const DECIMAL_DIGIT = /\p{Nd}/u
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/

/**
 * Chinese numerals, simplified and traditional, and the financial (banker's) forms, with
 * their values. Also ordinary words in running text (`一直`, "all along").
 */
const CHINESE_NUMERALS: ReadonlyMap<string, string> = new Map([
  // 幺 is how 1 is read out in a phone number.
  ...[...'〇零'].map((c) => [c, '0'] as const),
  ...[...'一壹弌幺'].map((c) => [c, '1'] as const),
  ...[...'二贰貳弍'].map((c) => [c, '2'] as const),
  ...[...'三叁參叄弎'].map((c) => [c, '3'] as const),
  ...[...'四肆'].map((c) => [c, '4'] as const),
  ...[...'五伍'].map((c) => [c, '5'] as const),
  ...[...'六陆陸'].map((c) => [c, '6'] as const),
  ...[...'七柒'].map((c) => [c, '7'] as const),
  ...[...'八捌'].map((c) => [c, '8'] as const),
  ...[...'九玖'].map((c) => [c, '9'] as const),
])

/**
 * Characters that read as one digit but that NFKC leaves alone and that are not decimal
 * digits (`\p{Nd}`), each with its value. Circled forms of 10 and above are not one digit
 * and are left out (NFKC writes the ones it folds, `⑩`, as `10`).
 */
const DIGIT_LIKE: ReadonlyMap<string, string> = new Map([
  ...digitRange(0x24f5, 1, 9), // ⓵-⓽ double circled 1-9 (U+24FE is ten)
  ['\u24ff', '0'], // ⓿ negative circled 0 (U+24EB-24F4 are 11-20)
  ...digitRange(0x2776, 1, 9), // ❶-❾ dingbat negative circled 1-9 (U+277F is ten)
  ...digitRange(0x2780, 1, 9), // ➀-➈ dingbat circled sans-serif 1-9 (U+2789 is ten)
  ...digitRange(0x278a, 1, 9), // ➊-➒ dingbat negative circled sans-serif 1-9 (U+2793 is ten)
  ['\u{1f10b}', '0'], // 🄋 dingbat circled sans-serif 0
  ['\u{1f10c}', '0'], // 🄌 dingbat negative circled sans-serif 0
  ...digitRange(0x1369, 1, 9), // ፩-፱ Ethiopic 1-9 (no zero; U+1372 on are tens)
  ...digitRange(0x3021, 1, 9), // 〡-〩 Hangzhou numerals 1-9
  ...CHINESE_NUMERALS,
])

/** `[char, value]` for the code points from `first`, valued `from` to `to`. */
function digitRange(first: number, from: number, to: number): [string, string][] {
  const pairs: [string, string][] = []
  for (let value = from; value <= to; value += 1) {
    pairs.push([String.fromCodePoint(first + value - from), String(value)])
  }
  return pairs
}

/** Every character {@link foldDigits} rewrites: non-ASCII decimal digits and {@link DIGIT_LIKE}. */
const FOLDED = new RegExp(`[\\p{Nd}${[...DIGIT_LIKE.keys()].join('')}]`, 'gu')

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
 * `text` after Unicode NFKC with every decimal digit (`\p{Nd}`, all scripts) and every
 * other character that reads as one digit (dingbat circled digits, Chinese numerals; see
 * {@link DIGIT_LIKE}) written as its ASCII digit. Lengths may change: use it to compare,
 * not to cut spans out of the original (for that, {@link foldDigitsMapped}).
 *
 * @example
 * ```ts
 * foldDigits('１３９-٨٨٨') // '139-888'
 * foldDigits('❶三⑨') // '139'
 * ```
 */
export function foldDigits(text: string): string {
  // Printable ASCII is its own NFKC form and has no other digits: the common case, on every view.
  if (PRINTABLE_ASCII.test(text)) return text
  return text.normalize('NFKC').replace(FOLDED, foldOne)
}

/** The ASCII digit for one character {@link FOLDED} matched. */
function foldOne(char: string): string {
  if (char >= '0' && char <= '9') return char
  return DIGIT_LIKE.get(char) ?? digitValue(char)
}

/**
 * The ASCII digit one character reads as in {@link foldDigits} (`'٣'`, `'𝟑'`, `'³'`, `'❸'`,
 * `'三'` all read `'3'`), or `undefined` when it is not one digit (`'⑩'`, `'x'`).
 */
export function digitOf(char: string): string | undefined {
  if (char >= '0' && char <= '9') return char
  const folded = foldDigits(char)
  return folded.length === 1 && folded >= '0' && folded <= '9' ? folded : undefined
}

/** True for a Chinese numeral (`一`, `叁`, `〇`): a digit in a phone number, a word elsewhere. */
export function isChineseNumeral(char: string): boolean {
  return CHINESE_NUMERALS.has(char)
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
