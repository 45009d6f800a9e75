/**
 * UTC offsets of IANA time zones without an `Intl` call per lookup. The first lookup in a
 * year works out that year's offset changes for the zone with `Intl.DateTimeFormat` (one
 * sample a day, then a binary search to the minute around each change) and keeps them; every
 * later lookup is a bounds check against the last segment used or a binary search over a
 * handful of segments. DST rules come from the runtime's tz data (ICU), so they are as
 * current as Node's.
 *
 * @module
 */
import { formatIsoMinute, utcFromCivil, utcYearStart } from '../../lib/iso-date-time.js'

const MINUTE = 60_000
/** The largest magnitude of a JavaScript Date's time value (ms). */
const MAX_INSTANT = 8.64e15
const HOUR = 3_600_000
/** Milliseconds in a day. @internal */
export const DAY = 86_400_000

/** The offset segments of one UTC year: `starts[i]` (UTC ms) onwards has `offsets[i]` (ms). */
interface YearSegments {
  readonly starts: number[]
  readonly offsets: number[]
}

/**
 * One zone's offsets, computed a year at a time and kept.
 * @internal
 */
export class ZoneOffsets {
  readonly zone: string
  readonly #format: Intl.DateTimeFormat
  readonly #years = new Map<number, YearSegments>()
  // The segment the last lookup fell in: most lookups of a zone hit the same one.
  #lastFrom = 1
  #lastTo = 0
  #lastOffset = 0

  constructor(zone: string) {
    this.zone = zone
    // Throws a RangeError for a zone the runtime does not know.
    this.#format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      // Years before 1 AD come as 'BC' years counted from 1.
      era: 'short',
    })
  }

  /** The zone's UTC offset (ms, local − UTC) at instant `t` (UTC ms). */
  offsetAt(t: number): number {
    if (t >= this.#lastFrom && t < this.#lastTo) return this.#lastOffset
    return this.#lookup(t)
  }

  /** Local wall-clock milliseconds (as if UTC) at instant `t`. */
  localAt(t: number): number {
    return t + this.offsetAt(t)
  }

  /**
   * The earliest instant whose local wall time is `local` or later, for a wall time on or
   * after the previous one: inside a spring-forward gap (02:30 that never happens) it is the
   * instant the clocks jump; inside a fall-back fold (01:30 twice) it is the first one.
   */
  instantAt(local: number): number {
    const before = this.offsetAt(local - DAY)
    const after = this.offsetAt(local + DAY)
    const early = local - before
    const late = local - after
    const earlyOk = this.offsetAt(early) === before
    const lateOk = this.offsetAt(late) === after
    if (earlyOk && lateOk) return Math.min(early, late)
    if (earlyOk) return early
    if (lateOk) return late
    // A gap: the clocks jump over `local`; the jump itself is the first instant after it.
    return this.#changeBetween(Math.min(early, late), Math.max(early, late))
  }

  #lookup(t: number): number {
    const year = yearOf(t)
    const segments = this.#segments(year)
    const { starts, offsets } = segments
    let low = 0
    let high = starts.length - 1
    while (low < high) {
      const mid = (low + high + 1) >> 1
      if (starts[mid]! <= t) low = mid
      else high = mid - 1
    }
    this.#lastFrom = starts[low]!
    this.#lastTo = low + 1 < starts.length ? starts[low + 1]! : utcYearStart(year + 1)
    this.#lastOffset = offsets[low]!
    return this.#lastOffset
  }

  #segments(year: number): YearSegments {
    const known = this.#years.get(year)
    if (known !== undefined) return known
    const start = utcYearStart(year)
    const end = utcYearStart(year + 1)
    const starts = [start]
    const offsets = [this.#intlOffset(start)]
    let previous = start
    let previousOffset = offsets[0]!
    for (let t = Math.min(start + DAY, end); t <= end; t = t === end ? end + 1 : Math.min(t + DAY, end)) {
      const offset = this.#intlOffset(t)
      if (offset !== previousOffset) {
        const change = this.#changeBetween(previous, t)
        if (change < end) {
          starts.push(change)
          offsets.push(offset)
        }
      }
      previous = t
      previousOffset = offset
    }
    const segments = { starts, offsets }
    this.#years.set(year, segments)
    return segments
  }

  /** The first instant in (low, high] with `high`'s offset, to the minute. */
  #changeBetween(low: number, high: number): number {
    const target = this.#intlOffset(high)
    let lo = low
    let hi = high
    while (hi - lo > MINUTE) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE
      if (mid <= lo) break
      if (this.#intlOffset(mid) === target) hi = mid
      else lo = mid
    }
    return hi
  }

  #intlOffset(instant: number): number {
    // A year's segments are probed at its edges, which for the first and last years a Date
    // can hold lie outside that range; there the zone's offset is the one at the range's end.
    const t = Math.min(MAX_INSTANT, Math.max(-MAX_INSTANT, instant))
    let year = 0
    let month = 0
    let day = 0
    let hour = 0
    let minute = 0
    let second = 0
    let bc = false
    for (const part of this.#format.formatToParts(t)) {
      switch (part.type) {
        case 'year':
          year = Number(part.value)
          break
        case 'month':
          month = Number(part.value)
          break
        case 'day':
          day = Number(part.value)
          break
        case 'hour':
          hour = Number(part.value)
          break
        case 'minute':
          minute = Number(part.value)
          break
        case 'second':
          second = Number(part.value)
          break
        case 'era':
          bc = part.value === 'BC'
          break
        default:
          break
      }
    }
    const local = utcFromCivil(bc ? 1 - year : year, month, day, hour, minute, second)
    return local - (t - (((t % 1000) + 1000) % 1000))
  }
}

const zones = new Map<string, ZoneOffsets>()

/**
 * The shared offsets of `zone` (one per zone per process). Throws a `RangeError` for a zone
 * the runtime does not know.
 * @internal
 */
export function zoneOffsets(zone: string): ZoneOffsets {
  let offsets = zones.get(zone)
  if (offsets === undefined) {
    offsets = new ZoneOffsets(zone)
    zones.set(zone, offsets)
  }
  return offsets
}

/** True when the runtime knows the IANA zone `zone`. @internal */
export function isKnownZone(zone: string): boolean {
  try {
    zoneOffsets(zone)
    return true
  } catch {
    return false
  }
}

/** The UTC year of instant `t` without allocating a Date. @internal */
export function yearOf(t: number): number {
  let year = 1970 + Math.floor(t / 31_556_952_000)
  if (utcYearStart(year) > t) year -= 1
  else if (utcYearStart(year + 1) <= t) year += 1
  return year
}

/** Day number (days since 1970-01-01) of a local wall time. @internal */
export function dayOf(local: number): number {
  return Math.floor(local / DAY)
}

/** Weekday (0 = Sunday) of a day number. @internal */
export function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7
}

/** `YYYY-MM-DDTHH:MM` of a local wall time, expanded years included. @internal */
export function formatLocal(local: number): string {
  return formatIsoMinute(local)
}

/** Day number of an ISO date `YYYY-MM-DD`. @internal */
export function dayOfIsoDate(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY)
}

export { HOUR, MINUTE }
