/**
 * The one reading of a user-given time (an event's `at`, an expiry, a burst window, a CLI
 * flag, a CSV cell) as an instant. Strict, because a lenient reading changes what a rule
 * means: `Date.parse('2026-02-30T00:00:00Z')` rolls over to 2 March, and a time without an
 * offset is read in whatever zone the machine happens to run in.
 *
 * @module
 * @internal
 */
import { CallwardenError, type CallwardenErrorCode } from '../errors.js'

/** What an instant may be given as, for messages. */
export const INSTANT_FORMS =
  'a valid Date, epoch milliseconds, or an RFC 3339 date-time with a date that exists, a time and an offset (Z or ±hh:mm), e.g. 2030-01-31T09:00:00Z'

/** The largest distance from the epoch a JavaScript Date can hold, in milliseconds. */
const MAX_INSTANT_MS = 8.64e15

/**
 * `yyyy-mm-ddThh:mm[:ss[.fraction]]` then `Z` or `±hh:mm`. RFC 3339 allows lower-case `t` and
 * `z`; seconds may be left out as ISO 8601 allows.
 */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

/** The kinds of value {@link readInstant} takes; anything else is caller misuse. */
export type InstantInput = Date | number | string

/**
 * The epoch milliseconds `value` names, or `undefined` when it names no instant: a string not
 * in the form above or naming a date that does not exist (`2026-02-30`, `2027-06-31`,
 * `2026-02-29`), an hour past 23, an offset past ±23:59; an invalid Date; a number that is not
 * finite; anything beyond ±8.64e15 ms. Values of other types are `undefined` too.
 *
 * @example
 * ```ts
 * readInstant('2028-02-29T12:00:00+08:00') // 1835409600000
 * readInstant('2026-02-30T00:00:00Z') // undefined, not 2 March
 * readInstant('2026-11-23T10:00:00') // undefined: no offset
 * ```
 */
export function readInstant(value: unknown): number | undefined {
  let time: number
  if (value instanceof Date) time = value.getTime()
  else if (typeof value === 'number') time = value
  else if (typeof value === 'string') time = fromText(value)
  else return undefined
  return Number.isFinite(time) && Math.abs(time) <= MAX_INSTANT_MS ? time : undefined
}

function fromText(text: string): number {
  const m = RFC3339.exec(text)
  if (m === null) return Number.NaN
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ]
  const second = m[6] === undefined ? 0 : Number(m[6])
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'))
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN
  if (hour > 23 || minute > 59 || second > 59) return Number.NaN
  let offsetMinutes = 0
  if (m[8] === undefined) {
    const offsetHours = Number(m[10])
    const offsetMins = Number(m[11])
    if (offsetHours > 23 || offsetMins > 59) return Number.NaN
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins)
  }
  // Date.UTC reads years 0–99 as 1900–1999; the year is set on its own instead.
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms))
  date.setUTCFullYear(year)
  return date.getTime() - offsetMinutes * 60_000
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** A user-given time names no instant; `field` says which one. */
export class TimeInvalid extends CallwardenError {
  readonly field: string

  constructor(field: string, code: CallwardenErrorCode = 'ERR_TIME_INVALID') {
    super(code, `field '${field}' is not a valid time; allowed: ${INSTANT_FORMS}`)
    this.name = 'TimeInvalid'
    this.field = field
  }
}

/**
 * `value` as epoch milliseconds. A value of another type than Date, number or string is caller
 * misuse (a `TypeError` naming `field`); one that names no instant is a {@link TimeInvalid}
 * with `code` (by default `ERR_TIME_INVALID`; a module passes its own input code, e.g.
 * `ERR_CONSENT_INVALID` for a consent's expiry).
 *
 * @example
 * ```ts
 * const expiresAt = parseInstant(request.expiresAt, 'expiresAt', 'ERR_BLACKLIST_ENTRY_INVALID')
 * ```
 */
export function parseInstant(value: unknown, field: string, code?: CallwardenErrorCode): number {
  if (!(value instanceof Date) && typeof value !== 'number' && typeof value !== 'string') {
    throw new TypeError(
      `${field} must be a Date, a number of epoch milliseconds or an RFC 3339 string, got ${value === null ? 'null' : typeof value}`,
    )
  }
  const time = readInstant(value)
  if (time === undefined) throw new TimeInvalid(field, code)
  return time
}
