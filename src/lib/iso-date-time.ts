/**
 * Writing wall times as ISO 8601 text for every instant callwarden accepts, and the days
 * around them: `Date#toISOString` throws past ±8.64e15 ms (where a far local time lands once
 * its zone offset is added), and slicing its output breaks on the expanded years it writes
 * outside 0000–9999.
 *
 * @module
 */

const DAY = 86_400_000
const HOUR = 3_600_000
const MINUTE = 60_000

/**
 * `YYYY-MM-DDTHH:MM` of a wall time given as milliseconds since 1970-01-01T00:00 of the same
 * clock (a UTC instant, or a local time with its offset added), in the proleptic Gregorian
 * calendar. Years outside 0000–9999 are written as ISO 8601 expanded years with sign and six
 * digits, as `toISOString` does: `+012345-01-01T00:00`, `-000100-03-01T12:30`.
 *
 * @example
 * ```ts
 * formatIsoMinute(Date.UTC(2026, 11, 24, 20, 30)) // '2026-12-24T20:30'
 * formatIsoMinute(8.64e15 + 8 * 3_600_000) // '+275760-09-13T08:00'
 * ```
 * @internal
 */
export function formatIsoMinute(wallMs: number): string {
  if (!Number.isFinite(wallMs)) throw new TypeError('formatIsoMinute needs a finite number of milliseconds')
  const days = Math.floor(wallMs / DAY)
  const ofDay = wallMs - days * DAY
  const { year, month, day } = civilFromDays(days)
  return `${isoYear(year)}-${pad(month)}-${pad(day)}T${pad(Math.floor(ofDay / HOUR))}:${pad(Math.floor((ofDay % HOUR) / MINUTE))}`
}

/** ISO 8601 year: four digits within 0000–9999, else a sign and six digits. @internal */
export function isoYear(year: number): string {
  if (year >= 0 && year <= 9999) return String(year).padStart(4, '0')
  return `${year < 0 ? '-' : '+'}${String(Math.abs(year)).padStart(6, '0')}`
}

/** Year, month and day of a day number (days since 1970-01-01), any sign (H. Hinnant's algorithm). */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const dayOfEra = z - era * 146_097
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  )
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const mp = Math.floor((5 * dayOfYear + 2) / 153)
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day }
}

function pad(n: number): string {
  return String(n).padStart(2, '0')
}

/**
 * The UTC instant (ms) of a proleptic Gregorian date and time, for any year (astronomical
 * numbering: 0 is 1 BC). Unlike `Date.UTC` it does not read years 0–99 as 1900–1999, and it
 * answers outside a Date's range too.
 * @internal
 */
export function utcFromCivil(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
): number {
  // H. Hinnant's days_from_civil: years start on March 1st, so leap days come last.
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yearOfEra = y - era * 400
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
  const days = era * 146_097 + dayOfEra - 719_468
  return days * DAY + hour * HOUR + minute * MINUTE + second * 1000
}

/** The UTC instant (ms) of January 1st 00:00 of `year`, for any year. @internal */
export function utcYearStart(year: number): number {
  return utcFromCivil(year, 1, 1)
}
