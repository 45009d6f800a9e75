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
 *   202-400-0123) is dropped by the same boundary rule the other detectors use;
 * - a digit run glued to Latin letters (`Tel13912345678`, `ID-13912345678`,
 *   `13912345678abc`), which the matcher never reads, is a phone number when the whole run
 *   is one: a valid mobile number of the region, or a valid number after `+` or `00`. Other
 *   runs glued to letters (order ids, short codes) stay.
 *
 * @module
 * @internal
 */
import { findPhoneNumbersInText, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max'
import { RecentCache } from '../../lib/recent-cache.js'
import type { DetectedSpan } from './redaction-kinds.js'
import { BLANK, JOINERS, touchesLongerToken } from './text-boundaries.js'

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
  const glued = findGluedPhones(text, region, spans)
  if (glued.length === 0) return spans
  return [...spans, ...glued].sort((a, b) => a.start - b.start)
}

/** A run of ASCII digits, with the `+` written before it. */
const DIGIT_RUN = /\+?[0-9]{6,}/g
const LETTER = /[A-Za-z]/
/** Types a number written in its national form must have to be read inside a token. */
const MOBILE_TYPES: ReadonlySet<string> = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE'])

/**
 * The digit runs glued to a Latin letter (directly or across `-`, `_`, `/`) that are a whole
 * phone number, outside the spans already `found`.
 */
function findGluedPhones(text: string, region: CountryCode, found: readonly DetectedSpan[]): DetectedSpan[] {
  const spans: DetectedSpan[] = []
  for (const match of text.matchAll(DIGIT_RUN)) {
    const start = match.index
    const end = start + match[0].length
    if (!gluedToLetter(text, start, end)) continue
    if (found.some((span) => span.start < end && start < span.end)) continue
    if (isWholePhoneNumber(match[0], region)) spans.push({ kind: 'phone', start, end })
  }
  return spans
}

function gluedToLetter(text: string, start: number, end: number): boolean {
  const before = text[start - 1] ?? ''
  const after = text[end] ?? ''
  if (LETTER.test(before) || LETTER.test(after)) return true
  if (JOINERS.has(before) && LETTER.test(text[start - 2] ?? '')) return true
  return JOINERS.has(after) && LETTER.test(text[end + 1] ?? '')
}

/**
 * Runs already judged, by region and run: the same order ids and codes recur in the events
 * of one call, and a libphonenumber parse costs 10–25 µs. The memory is the process's own.
 */
const judgedRuns = new RecentCache<string, boolean>(4_096)

/** `+` or `00` and a valid number, or a valid mobile number of `region`, and nothing else. */
function isWholePhoneNumber(run: string, region: CountryCode): boolean {
  const key = `${region}|${run}`
  let whole = judgedRuns.get(key)
  if (whole === undefined) {
    whole = judgeRun(run, region)
    judgedRuns.set(key, whole)
  }
  return whole
}

function judgeRun(run: string, region: CountryCode): boolean {
  const international = run.startsWith('+') ? run : run.startsWith('00') ? `+${run.slice(2)}` : undefined
  if (international !== undefined) return parsePhoneNumberFromString(international)?.isValid() === true
  const phone = parsePhoneNumberFromString(run, region)
  const type = phone?.isValid() === true ? phone.getType() : undefined
  return type !== undefined && MOBILE_TYPES.has(type)
}
