/**
 * Time as callwarden sees it. Every module takes a {@link Clock} so that calling hours,
 * retention windows and lease expiry can be tested with frozen or moving time; nothing in
 * the library's logic reads the system time directly.
 *
 * @module
 */

/** A source of the current time. */
export interface Clock {
  /** The current instant. */
  now(): Date
}

/** The system clock. */
export const systemClock: Clock = Object.freeze({ now: () => new Date() })

/**
 * A clock that only moves when told to, for tests and replays.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(new Date('2026-03-08T09:59:00Z'))
 * clock.advance(60_000) // 10:00:00Z
 * clock.set(new Date('2026-03-08T09:00:00Z')) // clocks may go backwards too
 * ```
 */
export class ManualClock implements Clock {
  #now: number

  constructor(start: Date | number = 0) {
    this.#now = typeof start === 'number' ? start : start.getTime()
  }

  now(): Date {
    return new Date(this.#now)
  }

  /** Moves the clock by `ms` milliseconds (negative moves it back). */
  advance(ms: number): void {
    this.#now += ms
  }

  /** Sets the clock to an instant. */
  set(instant: Date | number): void {
    this.#now = typeof instant === 'number' ? instant : instant.getTime()
  }
}
