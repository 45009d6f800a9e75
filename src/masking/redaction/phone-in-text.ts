/**
 * Phone numbers in free text, found by libphonenumber's matcher (a port of Google's
 * `PhoneNumberMatcher`) at its `VALID` leniency: a candidate must be a valid number of its
 * country by the full metadata, not merely have a plausible length, and must not be glued
 * to Latin letters. National numbers are read in the locale's region.
 *
 * Two adjustments for free text:
 * - a `,` or `;` before a digit ends a number. The matcher reads them as dialling pauses
 *   that introduce an extension, which in notes glues a list (`13912345678,13812345678`)
 *   or a following date (`06 12 34 56 78, 05/03/2024`) onto the number;
 * - a number that is part of a longer code (`INV-2024-000123` holds the valid US number
 *   202-400-0123) is dropped by the same boundary rule the other detectors use.
 *
 * @module
 * @internal
 */
import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js/max'
import type { DetectedSpan } from './redaction-kinds.js'
import { BLANK, touchesLongerToken } from './text-boundaries.js'

const PAUSE_BEFORE_DIGIT = /[,;](?=\s*\d)/g

/**
 * Finds phone numbers, national ones read in `region`.
 *
 * `findPhoneNumbersInText` is libphonenumber-js's name for `findNumbers(text, { v2: true })`
 * (the older name is deprecated); left without `extended`, its leniency is `VALID`.
 *
 * @example
 * ```ts
 * findPhones('手机13912345678', 'CN') // [{ kind: 'phone', start: 2, end: 13 }]
 * ```
 */
export function findPhones(text: string, region: CountryCode): DetectedSpan[] {
  const spans: DetectedSpan[] = []
  const searchText = text.replace(PAUSE_BEFORE_DIGIT, BLANK)
  for (const found of findPhoneNumbersInText(searchText, { defaultCountry: region })) {
    if (touchesLongerToken(text, found.startsAt, found.endsAt)) continue
    spans.push({ kind: 'phone', start: found.startsAt, end: found.endsAt })
  }
  return spans
}
