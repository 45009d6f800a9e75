/**
 * Payment card numbers (ISO/IEC 7812): 13 to 19 digits whose last digit is the Luhn check
 * digit. Written whole (`4111111111111111`) or grouped as cards print them, with single
 * spaces or single hyphens, the same separator throughout: 4-4-4-4 and its shorter and
 * longer variants (4-4-4-1 … 4-4-4-4-3, as UnionPay's 19-digit cards), 4-6-5 (American
 * Express) and 4-6-4 (Diners Club).
 *
 * A digit run longer than 19, or one that touches letters or other digits, is not a card
 * and is never cut into one: tracking and order numbers stay whole.
 *
 * @module
 * @internal
 */
import type { DetectedSpan } from './redaction-kinds.js'
import { touchesLongerToken } from './text-boundaries.js'

/**
 * True when the digit string passes the Luhn (mod 10) check.
 *
 * @example
 * ```ts
 * isLuhnValid('4111111111111111') // true
 * isLuhnValid('4111111111111112') // false
 * ```
 */
export function isLuhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false
  let sum = 0
  for (let i = 0; i < digits.length; i += 1) {
    let d = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

/**
 * Finds card numbers standing on their own (see `touchesLongerToken`).
 *
 * @example
 * ```ts
 * findBankCards('card 4111 1111 1111 1111, exp 12/27') // [{ kind: 'bank-card', start: 5, end: 24 }]
 * ```
 */
export function findBankCards(text: string): DetectedSpan[] {
  const spans: DetectedSpan[] = []
  let from = 0
  for (const run of text.matchAll(RUN_START)) {
    const start = run.index
    if (start < from) continue
    const end = cardEndingAt(text, start)
    if (end === undefined) continue
    spans.push({ kind: 'bank-card', start, end })
    from = end
  }
  return spans
}

/** The first digit of every run of digits. */
const RUN_START = /(?<!\d)\d/g

/**
 * The layouts a card is written in, longest first so that a 19-digit card is not taken
 * for its 16-digit head. Each is tried at a run's first digit; the first that reads a card
 * wins.
 */
const LAYOUTS: readonly { readonly pattern: RegExp; readonly separator: string }[] = [
  { pattern: /\d{13,19}(?!\d)/y, separator: '' },
  ...[' ', '-'].flatMap((s) => {
    const g = (n: string) => `\\d{${n}}`
    const layout = (...groups: string[]) => ({
      pattern: new RegExp(`${groups.map(g).join(s)}(?!\\d)`, 'y'),
      separator: s,
    })
    return [
      layout('4', '4', '4', '4', '1,3'),
      layout('4', '4', '4', '4'),
      layout('4', '4', '4', '1,3'),
      layout('4', '6', '5'),
      layout('4', '6', '4'),
    ]
  }),
]

function cardEndingAt(text: string, start: number): number | undefined {
  for (const { pattern, separator } of LAYOUTS) {
    pattern.lastIndex = start
    const match = pattern.exec(text)
    if (match === null) continue
    const end = start + match[0].length
    if (touchesLongerToken(text, start, end, separator)) continue
    if (isLuhnValid(separator === '' ? match[0] : match[0].replaceAll(separator, ''))) return end
  }
  return undefined
}
