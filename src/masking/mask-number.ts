/**
 * Mask styles: how much of a number an agent, an auditor or an export may see.
 *
 * The rule, on the national significant number (NSN, n digits); the country code and a
 * landline's trunk prefix are never personal and stay visible:
 * - `middle4` (default): hide the 4 digits just before the last 4 (`189****8352`). A landline
 *   keeps its whole area code visible, taking the visible tail down to as few digits as
 *   needed (`0871 123 4567` → `871****567`); with 8 or fewer digits nothing precedes the
 *   hidden run, and 4 or fewer digits are hidden entirely.
 * - `last4`: hide the last 4 digits (all of them when n ≤ 4).
 * - `last8`: hide the last 8 digits (all of them when n ≤ 8).
 * - `all`: hide every digit.
 * - `none`: show the number (admin views only).
 *
 * So the visible digits are always a prefix and a suffix of the NSN, every number of 7 or
 * more digits has at least 4 hidden, and the output depends on nothing but the input. A
 * number that cannot be read is masked entirely (fail closed): masking never throws on bad
 * data and never returns a real digit it could not classify.
 *
 * @module
 */
import { parseNumber, platformTrunk, type NormalizeOptions, type ParsedNumber } from './phone-number.js'

/** The mask styles (the set Clink exposes). */
export const MASK_STYLES = ['middle4', 'last4', 'last8', 'all', 'none'] as const
/** One mask style. */
export type MaskStyle = (typeof MASK_STYLES)[number]

/** How a masked number is written. */
export const NUMBER_FORMATS = ['national', 'platform', 'e164'] as const
/** One output format. */
export type NumberFormat = (typeof NUMBER_FORMATS)[number]

/** The character standing for a hidden digit. */
export const MASK_CHAR = '*'

/** Options of {@link maskNumber}. */
export interface MaskOptions extends NormalizeOptions {
  /** @defaultValue `'middle4'` */
  readonly style?: MaskStyle
  /**
   * `national` (`189****8352`, `020****5678`), `platform` (`0086189****8352`) or `e164`
   * (`+86189****8352`).
   * @defaultValue `'national'`
   */
  readonly format?: NumberFormat
}

/**
 * Masks a number by the rule above.
 *
 * @example
 * ```ts
 * maskNumber('+8618912348352') // '189****8352'
 * maskNumber('008618912348352', { format: 'platform' }) // '0086189****8352'
 * maskNumber('+862088887697', { format: 'platform' }) // '0086020****7697'
 * maskNumber('not a number') // '************' (fail closed)
 * ```
 */
export function maskNumber(input: string, options: MaskOptions = {}): string {
  const style = options.style ?? 'middle4'
  const format = options.format ?? 'national'
  if (!(MASK_STYLES as readonly string[]).includes(style)) {
    throw new TypeError(`style must be one of ${MASK_STYLES.join(', ')}, got ${String(style)}`)
  }
  if (!(NUMBER_FORMATS as readonly string[]).includes(format)) {
    throw new TypeError(`format must be one of ${NUMBER_FORMATS.join(', ')}, got ${String(format)}`)
  }
  let parsed: ParsedNumber
  try {
    parsed = parseNumber(input, options)
  } catch (error) {
    if (error instanceof TypeError) throw error
    return maskUnreadable(input)
  }
  return maskParsedNumber(parsed, style, format)
}

/**
 * Masks an already parsed number (for callers that keep parses, such as agent views).
 * @internal
 */
export function maskParsedNumber(parsed: ParsedNumber, style: MaskStyle, format: NumberFormat): string {
  const nsn = maskDigits(parsed.nationalNumber, style, parsed.areaCodeLength)
  switch (format) {
    case 'national':
      return `${parsed.areaCodeLength > 0 ? parsed.trunkPrefix : ''}${nsn}`
    case 'platform':
      return `00${parsed.countryCode}${platformTrunk(parsed)}${nsn}`
    case 'e164':
      return `+${parsed.countryCode}${nsn}`
  }
}

/**
 * Masks a string of digits by a style. `areaCodeLength` leading digits stay visible under
 * `middle4` when that still leaves 4 digits to hide.
 */
export function maskDigits(digits: string, style: MaskStyle, areaCodeLength = 0): string {
  const n = digits.length
  const hide = (from: number, count: number) =>
    digits.slice(0, from) + MASK_CHAR.repeat(count) + digits.slice(from + count)
  switch (style) {
    case 'none':
      return digits
    case 'all':
      return MASK_CHAR.repeat(n)
    case 'last4':
      return hide(Math.max(0, n - 4), Math.min(4, n))
    case 'last8':
      return hide(Math.max(0, n - 8), Math.min(8, n))
    case 'middle4': {
      if (n <= 4) return MASK_CHAR.repeat(n)
      let prefix = Math.max(0, n - 8)
      if (areaCodeLength > prefix && areaCodeLength + 4 <= n) prefix = areaCodeLength
      return hide(prefix, 4)
    }
  }
}

/**
 * Fail-closed mask for input that could not be read: every character but separators hidden.
 * @internal
 */
export function maskUnreadable(input: string): string {
  const length = typeof input === 'string' ? input.replace(/[\s\-.()]/g, '').length : 0
  return MASK_CHAR.repeat(Math.max(4, Math.min(length, 20)))
}
