/**
 * `redactPhoneNumbers`: the one place callwarden removes phone numbers from short free-text
 * values it stores or shows (consent sources, audit details, blacklist reasons), leaving
 * every other digit run as it is.
 *
 * @module
 */
import type { CountryCode } from 'libphonenumber-js/max'
import { findPhones } from './phone-in-text.js'
import { applyFindings, resolveLocale, toOriginal, type RedactTextOptions } from './redact-text.js'
import { foldForSearch } from './text-boundaries.js'

/**
 * A stretch of text that could be a phone number: six or more digits (any script), with at
 * most four of the matcher's punctuation characters (libphonenumber's `VALID_PUNCTUATION`
 * and its limit) between them. Searched in the folded text, where other notations of digits
 * are ASCII digits and format characters between digits are gone, exactly the text the
 * matcher reads. The matcher costs tens of microseconds a call, and audit events carry
 * timestamps on every decision: text without such a stretch, or whose only stretches are
 * calendar dates, is not searched.
 */
const CANDIDATE =
  /\p{Nd}(?:[\s\-\u2010-\u2015\u2212\u30fc\uff0d/\uff0f.\uff0e\u00ad\u200b\u2060()\uff08\uff09\uff3b\uff3d[\]~\u2053\u223c\uff5e]{0,4}\p{Nd}){5,}/gu
/** `2026-12-08`, `2026/12/08`, `2026.12.08`: a date, not a number. */
const DATE = /^(?:19|20)\d{2}([-./])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])$/

function mayHoldPhone(folded: string): boolean {
  for (const match of folded.matchAll(CANDIDATE)) {
    if (!DATE.test(match[0])) return true
  }
  return false
}

/**
 * Replaces the phone numbers in `text` with `[PHONE]`, and nothing else: timestamps
 * (`2026-12-08T10:00:00Z`, `20261208100000`), dates, amounts, order and ticket ids and other
 * digit runs are kept, because a candidate must be a valid number of its country (national
 * numbers read in the locale's region, numbers with a country code in any) and not a piece
 * of a longer token (a whole valid mobile number glued to letters, `Tel13912345678`, is still
 * one). Digits are read however they are written (full-width, other scripts, mathematical,
 * superscript, circled; with zero-width characters or marks between them), the replacement
 * covering the original characters. Text with no stretch of six
 * digits that could be a number (calendar dates aside) is returned as it is, without
 * running the matcher.
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
  const search = foldForSearch(text)
  if (!mayHoldPhone(search.text)) return text
  const spans = findPhones(search.text, locale as CountryCode)
  return spans.length === 0 ? text : applyFindings(text, toOriginal(search, spans)).text
}
