/**
 * `redactPhoneNumbers`: the one place callwarden removes phone numbers from short free-text
 * values it stores or shows (consent sources, audit details, blacklist reasons), leaving
 * every other digit run as it is.
 *
 * @module
 */
import type { CountryCode } from 'libphonenumber-js/max'
import { findPhones } from './phone-in-text.js'
import { applyFindings, resolveLocale, type RedactTextOptions } from './redact-text.js'
import { foldWidth } from './text-boundaries.js'

/** Digits a value needs before it is searched at all (the shortest numbers found have about 7). */
const MIN_DIGITS = 6
const DIGIT = /[0-9\uff10-\uff19]/g

/**
 * Replaces the phone numbers in `text` with `[PHONE]`, and nothing else: timestamps
 * (`2026-12-08T10:00:00Z`, `20261208100000`), dates, amounts, order and ticket ids and other
 * digit runs are kept, because a candidate must be a valid number of its country (national
 * numbers read in the locale's region, numbers with a country code in any) and not a piece
 * of a longer token. Full-width digits are read as ASCII ones. Text with too few digits to
 * hold a number is returned as it is, without running the matcher.
 *
 * Throws `ERR_CONFIG_INVALID` for a locale it does not know and a `TypeError` when `text`
 * is not a string; neither message repeats the text.
 *
 * @example
 * ```ts
 * import { redactPhoneNumbers } from 'callwarden/masking'
 *
 * redactPhoneNumbers('call-back form, 13912345678, 2026-12-08T10:00:00Z')
 * // 'call-back form, [PHONE], 2026-12-08T10:00:00Z'
 * redactPhoneNumbers('order 20261208100000, ¥1,280.00') // unchanged
 * ```
 */
export function redactPhoneNumbers(text: string, options: RedactTextOptions = {}): string {
  if (typeof text !== 'string') {
    throw new TypeError(`redactPhoneNumbers() takes a string, got ${text === null ? 'null' : typeof text}`)
  }
  const locale = resolveLocale(options)
  if ((text.match(DIGIT)?.length ?? 0) < MIN_DIGITS) return text
  const spans = findPhones(foldWidth(text), locale as CountryCode)
  return spans.length === 0 ? text : applyFindings(text, spans).text
}
