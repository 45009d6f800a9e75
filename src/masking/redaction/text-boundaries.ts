/**
 * Helpers shared by the detectors: a folded copy of the text to search in, and the rule
 * that keeps a detector from cutting a match out of a longer token.
 *
 * @module
 * @internal
 */

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

/**
 * A symbol (U+25A0), not a letter, digit, separator, bracket or currency sign: a hard edge
 * for every detector, and one the phone matcher does not reject a neighbouring number for.
 */
export const BLANK = '\u25a0'

const ALNUM = /[0-9A-Za-z]/
const DIGIT = /[0-9]/
/** Characters that join parts of one code: `INV-2024-0001`, `SKU_1234`, `2024/0305`. */
const JOINERS = new Set(['-', '_', '/'])

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
