/**
 * Helpers shared by the detectors: a folded copy of the text to search in, and the rule
 * that keeps a detector from cutting a match out of a longer token.
 *
 * @module
 * @internal
 */
import { digitOf, isChineseNumeral } from '../digit-runs.js'

/**
 * Folds full-width ASCII (`１３９`, `＠`, as typed with a Chinese input method) and the
 * ideographic space to their ASCII forms. Every folded character is one UTF-16 code unit,
 * like the one it replaces, so offsets in the folded text are offsets in the original.
 */
export function foldWidth(text: string): string {
  return text.replace(/[\uff01-\uff5e\u3000]/g, (c) =>
    c === '\u3000' ? ' ' : String.fromCharCode(c.charCodeAt(0) - 0xfee0),
  )
}

/** A text to search in, and the way back from its offsets to those of the original. */
export interface SearchText {
  readonly text: string
  /** The span of the original text that `[start, end)` of {@link SearchText.text} stands for. */
  readonly toOriginal: (start: number, end: number) => { start: number; end: number }
}

/**
 * Something {@link foldForSearch} may rewrite besides full-width ASCII: a digit other than
 * ASCII, another numeric character, a format character or a mark.
 */
const MAY_FOLD = /(?![0-9])[\p{N}\p{Cf}\p{M}]|[〇零一壹弌幺二贰貳弍三叁參叄弎四肆五伍六陆陸七柒八捌九玖]/u
const FORMAT_OR_MARK = /^[\p{Cf}\p{M}]$/u
/** How many Chinese numerals in a row read as digits; fewer are words (`一直`, `三月`). */
const CHINESE_NUMERAL_RUN = 3

const sameSpan = (start: number, end: number) => ({ start, end })

/**
 * The text detectors search in: {@link foldWidth}, then every character that reads as one
 * digit (any script's decimal digits, mathematical, superscript and circled digits; see
 * `foldDigits`) written as its ASCII digit, and format characters and marks after a digit
 * (`1\u200b3`, `1\u0301`, keycaps) dropped. Chinese numerals are read as digits in runs of
 * three or more only, so that `13912345678一直没接` still ends its number where it ends.
 * Offsets change where characters are folded or dropped: map spans back with `toOriginal`,
 * which covers the dropped characters after a span's last digit too.
 */
export function foldForSearch(text: string): SearchText {
  const width = foldWidth(text)
  if (!MAY_FOLD.test(width)) return { text: width, toOriginal: sameSpan }
  const chars = [...width]
  const chineseRun = chineseNumeralRuns(chars)
  let out = ''
  const starts: number[] = []
  const ends: number[] = []
  let at = 0
  let afterDigit = false
  for (const [index, char] of chars.entries()) {
    const next = at + char.length
    if (afterDigit && FORMAT_OR_MARK.test(char)) {
      ends[ends.length - 1] = next
      at = next
      continue
    }
    const digit = isChineseNumeral(char) && !chineseRun[index] ? undefined : digitOf(char)
    const emitted = digit ?? char
    for (let unit = 0; unit < emitted.length; unit += 1) {
      starts.push(at)
      ends.push(next)
    }
    out += emitted
    afterDigit = digit !== undefined
    at = next
  }
  return {
    text: out,
    toOriginal: (start, end) => ({ start: starts[start] ?? at, end: end === 0 ? 0 : (ends[end - 1] ?? at) }),
  }
}

/** For each character, whether it is a Chinese numeral in a run of {@link CHINESE_NUMERAL_RUN} or more. */
function chineseNumeralRuns(chars: readonly string[]): boolean[] {
  const inRun = chars.map(() => false)
  let runStart = 0
  for (let index = 0; index <= chars.length; index += 1) {
    if (index < chars.length && isChineseNumeral(chars[index] as string)) continue
    if (index - runStart >= CHINESE_NUMERAL_RUN) inRun.fill(true, runStart, index)
    runStart = index + 1
  }
  return inRun
}

/**
 * A symbol (U+25A0), not a letter, digit, separator, bracket or currency sign: a hard edge
 * for every detector, and one the phone matcher does not reject a neighbouring number for.
 */
export const BLANK = '\u25a0'

const ALNUM = /[0-9A-Za-z]/
const DIGIT = /[0-9]/
/** Characters that join parts of one code: `INV-2024-0001`, `SKU_1234`, `2024/0305`. */
export const JOINERS: ReadonlySet<string> = new Set(['-', '_', '/'])

/**
 * True when the span `[start, end)` of a digit-bearing match is a piece of a longer token
 * rather than a token of its own: it touches a letter, a digit or an `@` (the local part of
 * an e-mail address), is joined to one by `-`, `_` or `/` (order and invoice codes), or
 * continues a decimal number (`3.` before it, `.50` after it). `separator` is the grouping
 * character the match itself used (a space or `-`): a digit just before the match in that
 * style, or a full group of four digits just after it, means the match is the middle of a
 * longer grouped number. (A short group after it is let through: `4111 1111 1111 1111 12/27`
 * is a card followed by its expiry date.)
 */
export function touchesLongerToken(text: string, start: number, end: number, separator = ''): boolean {
  const before = text[start - 1] ?? ''
  const before2 = text[start - 2] ?? ''
  const after = text[end] ?? ''
  const after2 = text[end + 1] ?? ''
  if (ALNUM.test(before) || ALNUM.test(after) || before === '@' || after === '@') return true
  if (JOINERS.has(before) && ALNUM.test(before2)) return true
  if (JOINERS.has(after) && ALNUM.test(after2)) return true
  if (before === '.' && DIGIT.test(before2)) return true
  if (after === '.' && DIGIT.test(after2)) return true
  if (separator !== '' && before === separator && DIGIT.test(before2)) return true
  if (separator !== '' && after === separator && /^\d{4}/.test(text.slice(end + 1, end + 5))) return true
  return false
}

/**
 * Replaces the spans with a character no detector matches or joins across, keeping the
 * length, so that later detectors search only what is left.
 */
export function blankSpans(text: string, spans: readonly { start: number; end: number }[]): string {
  if (spans.length === 0) return text
  let out = ''
  let at = 0
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    out += text.slice(at, span.start) + BLANK.repeat(span.end - span.start)
    at = span.end
  }
  return out + text.slice(at)
}
