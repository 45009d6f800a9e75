/**
 * Mainland China resident identity card numbers (GB 11643-1999): 18 characters — a
 * 6-digit region code, the birth date as YYYYMMDD, a 3-digit sequence number and a check
 * character computed with ISO 7064 MOD 11-2 (`0`–`9` or `X`).
 *
 * A candidate is reported only when the check character matches and the birth date is a
 * real calendar date between 1900 and 2099. The region code is not checked against a list:
 * counties are merged and renumbered over the years, and old numbers stay valid for life.
 *
 * @module
 * @internal
 */
import type { DetectedSpan } from './redaction-kinds.js'
import { touchesLongerToken } from './text-boundaries.js'

/** MOD 11-2 weights of the first 17 digits (2^(17-i) mod 11). */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const
/** Check character by (weighted sum mod 11). */
const CHECK_CHARS = '10X98765432'

/**
 * The check character of the first 17 digits of an ID number.
 *
 * @example
 * ```ts
 * cnResidentIdCheckChar('11010519491231002') // 'X'
 * ```
 */
export function cnResidentIdCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new TypeError('the ID body must be 17 ASCII digits')
  let sum = 0
  for (let i = 0; i < 17; i += 1) sum += Number(first17[i]) * WEIGHTS[i]!
  return CHECK_CHARS[sum % 11]!
}

/**
 * True when `id` is a well-formed 18-character resident ID number: MOD 11-2 check
 * character right (`x` and `X` both accepted) and a real birth date.
 *
 * @example
 * ```ts
 * isValidCnResidentId('11010519491231002X') // true
 * isValidCnResidentId('11010519491231002x') // true
 * isValidCnResidentId('110105194912310021') // false (check character)
 * isValidCnResidentId('110105194902300028') // false (30 February)
 * ```
 */
export function isValidCnResidentId(id: string): boolean {
  if (!/^[1-9]\d{16}[\dXx]$/.test(id)) return false
  if (!isRealDate(id.slice(6, 14))) return false
  return cnResidentIdCheckChar(id.slice(0, 17)) === id[17]!.toUpperCase()
}

/**
 * Finds ID numbers written whole (`110105194912310028`) or grouped as 6-8-4 with single
 * spaces (`110105 19491231 0028`), standing on their own (see `touchesLongerToken`).
 */
export function findCnResidentIds(text: string): DetectedSpan[] {
  const spans: DetectedSpan[] = []
  for (const match of text.matchAll(CANDIDATE)) {
    const separator = match[1] ?? ''
    const start = match.index
    const end = start + match[0].length
    if (touchesLongerToken(text, start, end, separator)) continue
    if (!isValidCnResidentId(match[0].replaceAll(' ', ''))) continue
    spans.push({ kind: 'cn-resident-id', start, end })
  }
  return spans
}

const CANDIDATE = /[1-9]\d{5}( ?)\d{8}\1\d{3}[\dXx]/g

function isRealDate(yyyymmdd: string): boolean {
  const year = Number(yyyymmdd.slice(0, 4))
  const month = Number(yyyymmdd.slice(4, 6))
  const day = Number(yyyymmdd.slice(6, 8))
  if (year < 1900 || year > 2099 || month < 1 || month > 12 || day < 1) return false
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!
  return day <= days
}
